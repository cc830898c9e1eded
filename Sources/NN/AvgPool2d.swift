import Kernels

/// Average pooling over `kh x kw` windows, per channel, as PyTorch's `nn.AvgPool2d`.
///
/// Output size: `OH = (H + 2p - kh) / s + 1`, `OW = (W + 2p - kw) / s + 1`. By default padding
/// counts as zeros in the average (PyTorch's `count_include_pad=True`): the divisor is always
/// `kh*kw`; with `countIncludePad: false` (ONNX's default) it is the number of pixels inside the image.
public final class AvgPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let countIncludePad: Bool
    public var isTraining = false
    private var inputShape: [Int]?

    /// A square window; `stride` defaults to the window size (non-overlapping), as in PyTorch.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) {
        precondition(kernelSize > 0 && (stride ?? 1) > 0 && padding >= 0 && padding <= kernelSize / 2,
                     "AvgPool2d: bad configuration kernel \(kernelSize) stride \(String(describing: stride)) padding \(padding)")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.countIncludePad = countIncludePad
    }

    /// 1 / the divisor of output (oy, ox)'s window: `k*k`, or the pixels of it inside the image.
    @inline(__always)
    private func scale(_ oy: Int, _ ox: Int, _ g: ConvGeometry) -> Float {
        if countIncludePad || padding == 0 { return 1 / Float(kernelSize * kernelSize) }
        let y0 = oy * stride - padding, x0 = ox * stride - padding
        let rows = min(g.height, y0 + kernelSize) - max(0, y0), cols = min(g.width, x0 + kernelSize) - max(0, x0)
        return 1 / Float(rows * cols)
    }

    private func geometry(_ shape: [Int]) -> ConvGeometry {
        precondition(shape.count == 4 && shape[2] + 2 * padding >= kernelSize && shape[3] + 2 * padding >= kernelSize,
                     "AvgPool2d: expected input [N, C, H, W] with H, W >= \(kernelSize - 2 * padding), got shape \(shape)")
        return ConvGeometry(channels: shape[1], height: shape[2], width: shape[3], kernelHeight: kernelSize,
                            kernelWidth: kernelSize, stride: stride, padding: padding)
    }

    // x: [N, C, H, W] -> y: [N, C, OH, OW], y = sum of window / divisor
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        let g = geometry(x.shape)
        let planes = x.shape[0] * x.shape[1], h = g.height, w = g.width, oh = g.outHeight, ow = g.outWidth
        var y = Tensor(shape: [x.shape[0], x.shape[1], oh, ow])
        x.withUnsafePointer { xp in
        y.withUnsafeMutablePointer { yp in
            context.forEach(planes) { plane in
                let src = xp + plane * h * w
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var sum: Float = 0
                        for i in 0..<kernelSize {
                            let iy = oy * stride - padding + i
                            if iy < 0 || iy >= h { continue }
                            for j in 0..<kernelSize {
                                let ix = ox * stride - padding + j
                                if ix >= 0 && ix < w { sum += src[iy * w + ix] }
                            }
                        }
                        yp[(plane * oh + oy) * ow + ox] = sum * scale(oy, ox, g)
                    }
                }
            }
        }}
        inputShape = x.shape
        return y
    }

    // dY: [N, C, OH, OW] -> dX: [N, C, H, W], each dY / divisor spread over its window
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("AvgPool2d: backward called before forward") }
        let g = geometry(shape)
        let h = g.height, w = g.width, oh = g.outHeight, ow = g.outWidth
        dY.expectShape([shape[0], shape[1], oh, ow], "AvgPool2d.backward dY for input \(shape)")
        var dX = Tensor(shape: shape)
        dY.withUnsafePointer { dyp in
        dX.withUnsafeMutablePointer { dxp in
            context.forEach(shape[0] * shape[1]) { plane in
                let dst = dxp + plane * h * w
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let d = dyp[(plane * oh + oy) * ow + ox] * scale(oy, ox, g)
                        for i in 0..<kernelSize {
                            let iy = oy * stride - padding + i
                            if iy < 0 || iy >= h { continue }
                            for j in 0..<kernelSize {
                                let ix = ox * stride - padding + j
                                if ix >= 0 && ix < w { dst[iy * w + ix] += d }
                            }
                        }
                    }
                }
            }
        }}
        return dX
    }
}

/// Global average pooling: the mean of each channel's plane, `[N, C, H, W] -> [N, C]`.
///
/// PyTorch's `AdaptiveAvgPool2d(1)` followed by `flatten(1)` in one layer, since a classifier head
/// always flattens next (a `Flatten` after it is a no-op, for models that mirror PyTorch indices).
public final class GlobalAvgPool2d: Layer {
    public var isTraining = false
    private var inputShape: [Int]?

    public init() {}

    // x: [N, C, H, W] -> y: [N, C]
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        precondition(x.rank == 4, "GlobalAvgPool2d: expected input [N, C, H, W], got shape \(x.shape)")
        let planes = x.shape[0] * x.shape[1], hw = x.shape[2] * x.shape[3]
        var y = Tensor(shape: [x.shape[0], x.shape[1]])
        for plane in 0..<planes {
            var sum: Float = 0
            for p in 0..<hw { sum += x.storage[plane * hw + p] }
            y.storage[plane] = sum / Float(hw)
        }
        inputShape = x.shape
        return y
    }

    // dY: [N, C] -> dX: [N, C, H, W] = dY / (H*W) broadcast over the plane
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("GlobalAvgPool2d: backward called before forward") }
        dY.expectShape([shape[0], shape[1]], "GlobalAvgPool2d.backward dY for input \(shape)")
        let hw = shape[2] * shape[3]
        var dX = Tensor(shape: shape)
        for plane in 0..<shape[0] * shape[1] {
            let d = dY.storage[plane] / Float(hw)
            for p in 0..<hw { dX.storage[plane * hw + p] = d }
        }
        return dX
    }
}
