import Kernels

/// Max pooling over `kh x kw` windows, per channel, as PyTorch's `nn.MaxPool2d`.
///
/// Output size: `OH = (H + 2p - kh) / s + 1`, `OW = (W + 2p - kw) / s + 1`; padding counts as
/// -infinity, so it is never the maximum. The gradient goes to the first maximum of each window.
public final class MaxPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public var isTraining = false
    private var inputShape: [Int]?
    /// Flat input index (within the image plane) of each output's maximum.
    private var argmax: [Int32] = []

    /// A square window; `stride` defaults to the window size (non-overlapping), as in PyTorch.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        precondition(kernelSize > 0 && (stride ?? 1) > 0 && padding >= 0 && padding <= kernelSize / 2,
                     "MaxPool2d: bad configuration kernel \(kernelSize) stride \(String(describing: stride)) padding \(padding)")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    // x: [N, C, H, W] -> y: [N, C, OH, OW]
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[2] + 2 * padding >= kernelSize && x.shape[3] + 2 * padding >= kernelSize,
                     "MaxPool2d: expected input [N, C, H, W] with H, W >= \(kernelSize - 2 * padding), got shape \(x.shape)")
        let g = ConvGeometry(channels: x.shape[1], height: x.shape[2], width: x.shape[3], kernelHeight: kernelSize,
                             kernelWidth: kernelSize, stride: stride, padding: padding)
        let planes = x.shape[0] * x.shape[1], h = g.height, w = g.width, oh = g.outHeight, ow = g.outWidth
        var y = Tensor(shape: [x.shape[0], x.shape[1], oh, ow])
        var argmax = [Int32](repeating: 0, count: planes * oh * ow)
        x.withUnsafePointer { xp in
        y.withUnsafeMutablePointer { yp in
        argmax.withUnsafeMutableBufferPointer { ap in
            Parallel.forEach(planes) { plane in
                let src = xp + plane * h * w
                if padding == 0 {
                    // Every window lies inside the image: no bounds checks (the common 2x2 case).
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            let corner = oy * stride * w + ox * stride
                            var best = src[corner]
                            var at = corner
                            for i in 0..<kernelSize {
                                let row = corner + i * w
                                for j in 0..<kernelSize where src[row + j] > best {
                                    best = src[row + j]
                                    at = row + j
                                }
                            }
                            let o = (plane * oh + oy) * ow + ox
                            yp[o] = best
                            ap[o] = Int32(at)
                        }
                    }
                    return
                }
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var best = -Float.infinity
                        var at = -1
                        for i in 0..<kernelSize {
                            let iy = oy * stride - padding + i
                            if iy < 0 || iy >= h { continue }
                            for j in 0..<kernelSize {
                                let ix = ox * stride - padding + j
                                if ix < 0 || ix >= w { continue }
                                let v = src[iy * w + ix]
                                if v > best || at < 0 { best = v; at = iy * w + ix }
                            }
                        }
                        let o = (plane * oh + oy) * ow + ox
                        yp[o] = best
                        ap[o] = Int32(at)
                    }
                }
            }
        }}}
        inputShape = x.shape
        self.argmax = argmax
        return y
    }

    // dY: [N, C, OH, OW] -> dX: [N, C, H, W], each dY added at its window's argmax
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("MaxPool2d: backward called before forward") }
        let planes = shape[0] * shape[1], hw = shape[2] * shape[3]
        let outPlane = argmax.count / max(1, planes)
        precondition(dY.rank == 4 && dY.shape[0] == shape[0] && dY.shape[1] == shape[1] && dY.count == argmax.count,
                     "MaxPool2d.backward: dY shape \(dY.shape) does not match the output of input \(shape)")
        var dX = Tensor(shape: shape)
        dY.withUnsafePointer { dyp in
        dX.withUnsafeMutablePointer { dxp in
        argmax.withUnsafeBufferPointer { ap in
            Parallel.forEach(planes) { plane in
                let out = dxp + plane * hw
                for o in 0..<outPlane {
                    let k = plane * outPlane + o
                    out[Int(ap[k])] += dyp[k]
                }
            }
        }}}
        return dX
    }
}
