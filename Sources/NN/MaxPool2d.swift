import Kernels

/// Max pooling over `k x k` windows, per channel, as PyTorch's `nn.MaxPool2d`.
///
/// Output size: `OH = (H + 2p - k) / s + 1`, `OW = (W + 2p - k) / s + 1`; padding counts as
/// -infinity, so it is never the maximum. The gradient goes to the first maximum of each window
/// (row-major order), as in PyTorch.
///
/// The common 2x2 stride-2 case keeps a one-byte argmax code per output (`maxPool2x2`), so backward
/// reads neither the input nor a zeroed dX. Other windows keep the input and find each argmax again.
public final class MaxPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public var isTraining = false
    private var input: Tensor?
    private var inputShape: [Int]?
    private var codes: [UInt8] = []
    /// Set by `foldingBatchNorms` on a pool that a ReLU follows (the cnn pools before each ReLU): each
    /// maximum is rectified as it is stored (2x2; other windows rectify each plane after it is pooled);
    /// backward masks dY by the output (2x2: as it reads each gradient). Bit for bit the two layers
    /// (the ReLU of the maximum is the maximum rectified).
    public var fusesReLU = false
    private var output: Tensor?

    private var isTwoByTwo: Bool { kernelSize == 2 && stride == 2 && padding == 0 }

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
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        let g = geometry(x.shape)
        let planes = x.shape[0] * x.shape[1], h = g.height, w = g.width, oh = g.outHeight, ow = g.outWidth
        var y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], oh, ow])
        inputShape = x.shape
        if isTwoByTwo {
            input = nil
            if codes.count != y.count { codes = [UInt8](repeating: 0, count: y.count) }
            x.withUnsafePointer { xp in
            y.withUnsafeMutablePointer { yp in
            codes.withUnsafeMutableBufferPointer { cp in
                guard let codes = cp.baseAddress else { return }  // an empty batch: nothing to pool
                context.forEach(planes) { plane in
                    let out = yp + plane * oh * ow
                    maxPool2x2(xp + plane * h * w, height: h, width: w, rectifying: fusesReLU, into: out,
                               codes: codes + plane * oh * ow)
                }
            }}}
            output = fusesReLU ? y : nil
            return y
        }
        input = x
        x.withUnsafePointer { xp in
        y.withUnsafeMutablePointer { yp in
            context.forEach(planes) { plane in
                let src = xp + plane * h * w
                let out = yp + plane * oh * ow
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let (ys, xs) = window(oy, ox, g)
                        var best = -Float.infinity
                        for iy in ys { for ix in xs { best = max(best, src[iy * w + ix]) } }
                        out[oy * ow + ox] = best
                    }
                }
                if fusesReLU { relu(out, into: out, count: oh * ow) }
            }
        }}
        output = fusesReLU ? y : nil
        return y
    }

    // dY: [N, C, OH, OW] -> dX: [N, C, H, W], each dY added at its window's first maximum
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("MaxPool2d: backward called before forward") }
        let g = geometry(shape)
        let planes = shape[0] * shape[1], h = g.height, w = g.width, oh = g.outHeight, ow = g.outWidth
        dY.expectShape([shape[0], shape[1], oh, ow], "MaxPool2d.backward dY for input \(shape)")
        if isTwoByTwo {
            // Every covered position is written; only an odd last row or column needs zeros. A fused
            // ReLU's mask is applied as each gradient is read.
            var dX = h % 2 == 0 && w % 2 == 0 ? Tensor(uninitializedShape: shape) : Tensor(shape: shape)
            func pool(positive: UnsafePointer<Float>?) {
                dY.withUnsafePointer { dyp in
                codes.withUnsafeBufferPointer { cp in
                dX.withUnsafeMutablePointer { dxp in
                    guard let codes = cp.baseAddress else { return }  // an empty batch
                    context.forEach(planes) { plane in
                        maxPool2x2Backward(dyp + plane * oh * ow, codes: codes + plane * oh * ow,
                                           passingWherePositive: positive.map { $0 + plane * oh * ow }, height: h, width: w,
                                           into: dxp + plane * h * w)
                    }
                }}}
            }
            if let output { output.withUnsafePointer { pool(positive: $0) } } else { pool(positive: nil) }
            return dX
        }
        let gradient = output.map { ReLU.mask(dY, wherePositive: $0, context: context) } ?? dY
        guard let x = input else { preconditionFailure("MaxPool2d: backward called before forward") }
        var dX = Tensor(shape: shape)
        x.withUnsafePointer { xp in
        gradient.withUnsafePointer { dyp in
        dX.withUnsafeMutablePointer { dxp in
            context.forEach(planes) { plane in
                let src = xp + plane * h * w, dst = dxp + plane * h * w, grad = dyp + plane * oh * ow
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
