import Kernels

/// Max pooling over `k x k` windows, per channel, as PyTorch's `nn.MaxPool2d`.
///
/// Output size: `OH = (H + 2p - k) / s + 1`, `OW = (W + 2p - k) / s + 1`; padding counts as
/// -infinity, so it is never the maximum. The gradient goes to the first maximum of each window
/// (row-major order), as in PyTorch.
///
/// Forward keeps the input, not an argmax map: the max alone is branch-free and fast (attacks run
/// forward far more often than backward), and backward finds each window's argmax again.
public final class MaxPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public var isTraining = false
    private var input: Tensor?

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        precondition(kernelSize > 0 && (stride ?? 1) > 0 && padding >= 0 && padding <= kernelSize / 2,
                     "MaxPool2d: bad configuration kernel \(kernelSize) stride \(String(describing: stride)) padding \(padding)")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    private func geometry(_ shape: [Int]) -> ConvGeometry {
        precondition(shape.count == 4 && shape[2] + 2 * padding >= kernelSize && shape[3] + 2 * padding >= kernelSize,
                     "MaxPool2d: expected input [N, C, H, W] with H, W >= \(kernelSize - 2 * padding), got shape \(shape)")
        return ConvGeometry(channels: shape[1], height: shape[2], width: shape[3], kernelHeight: kernelSize,
                            kernelWidth: kernelSize, stride: stride, padding: padding)
    }

    /// The window of output (oy, ox), clipped to the image: rows `ys`, columns `xs`.
    @inline(__always)
    private func window(_ oy: Int, _ ox: Int, _ g: ConvGeometry) -> (ys: Range<Int>, xs: Range<Int>) {
        let y0 = oy * stride - padding, x0 = ox * stride - padding
        return (max(0, y0)..<min(g.height, y0 + kernelSize), max(0, x0)..<min(g.width, x0 + kernelSize))
    }

    // x: [N, C, H, W] -> y: [N, C, OH, OW]
    public func forward(_ x: Tensor) -> Tensor {
        let g = geometry(x.shape)
        let planes = x.shape[0] * x.shape[1], h = g.height, w = g.width, oh = g.outHeight, ow = g.outWidth
        var y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], oh, ow])
        let (k, s) = (kernelSize, stride)
        x.withUnsafePointer { xp in
        y.withUnsafeMutablePointer { yp in
            Parallel.forEach(planes) { plane in
                let src = xp + plane * h * w
                let out = yp + plane * oh * ow
                if padding == 0 && k == 2 && s == 2 {
                    // The common case, branch-free: max of two rows, then of pairs.
                    for oy in 0..<oh {
                        let r0 = src + 2 * oy * w, r1 = r0 + w, o = out + oy * ow
                        for ox in 0..<ow { o[ox] = max(max(r0[2 * ox], r0[2 * ox + 1]), max(r1[2 * ox], r1[2 * ox + 1])) }
                    }
                    return
                }
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let (ys, xs) = window(oy, ox, g)
                        var best = -Float.infinity
                        for iy in ys { for ix in xs { best = max(best, src[iy * w + ix]) } }
                        out[oy * ow + ox] = best
                    }
                }
            }
        }}
        input = x
        return y
    }

    // dY: [N, C, OH, OW] -> dX: [N, C, H, W], each dY added at its window's first maximum
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool) -> Tensor {
        guard let x = input else { preconditionFailure("MaxPool2d: backward called before forward") }
        let g = geometry(x.shape)
        let planes = x.shape[0] * x.shape[1], h = g.height, w = g.width, oh = g.outHeight, ow = g.outWidth
        dY.expectShape([x.shape[0], x.shape[1], oh, ow], "MaxPool2d.backward dY for input \(x.shape)")
        var dX = Tensor(shape: x.shape)
        x.withUnsafePointer { xp in
        dY.withUnsafePointer { dyp in
        dX.withUnsafeMutablePointer { dxp in
            Parallel.forEach(planes) { plane in
                let src = xp + plane * h * w, dst = dxp + plane * h * w, grad = dyp + plane * oh * ow
                if padding == 0 && kernelSize == 2 && stride == 2 {
                    // Non-overlapping 2x2 windows: the first maximum (row-major) takes the gradient,
                    // chosen by 0/1 factors rather than branches (the argmax is data-dependent).
                    for oy in 0..<oh {
                        let r0 = src + 2 * oy * w, r1 = r0 + w, d0 = dst + 2 * oy * w, d1 = d0 + w, gRow = grad + oy * ow
                        for ox in 0..<ow {
                            let a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1], g = gRow[ox]
                            let m = max(max(a, b), max(c, d))
                            let ia: Float = a == m ? 1 : 0
                            let ib: Float = (b == m ? 1 : 0) * (1 - ia)
                            let ic: Float = (c == m ? 1 : 0) * (1 - ia - ib)
                            let id: Float = 1 - ia - ib - ic
                            d0[2 * ox] += g * ia
                            d0[2 * ox + 1] += g * ib
                            d1[2 * ox] += g * ic
                            d1[2 * ox + 1] += g * id
                        }
                    }
                    return
                }
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let (ys, xs) = window(oy, ox, g)
                        var best = -Float.infinity
                        var at = ys.lowerBound * w + xs.lowerBound
                        for iy in ys {
                            for ix in xs where src[iy * w + ix] > best {
                                best = src[iy * w + ix]
                                at = iy * w + ix
                            }
                        }
                        dst[at] += grad[oy * ow + ox]
                    }
                }
            }
        }}}
        return dX
    }
}
