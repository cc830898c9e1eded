/// A fixed per-channel affine map `y = x * scale[c] + shift[c]` over `[N, C, ...]`.
///
/// What an inference-mode BatchNorm is once its statistics are frozen
/// (`scale = gamma / sqrt(var + eps)`, `shift = beta - mean * scale`), for the BatchNorms that
/// cannot be folded into a preceding convolution (a pre-activation ResNet's). No parameters.
public final class ChannelAffine: Layer {
    public let scale: [Float]
    public let shift: [Float]
    public var isTraining = false
    private var inputShape: [Int]?

    public init(scale: [Float], shift: [Float]) {
        precondition(scale.count == shift.count && !scale.isEmpty, "ChannelAffine: \(scale.count) scales, \(shift.count) shifts")
        self.scale = scale
        self.shift = shift
    }

    /// (planes, plane size) of an input `[N, C, ...]` with C = `scale.count`.
    private func layout(_ shape: [Int]) -> (planes: Int, size: Int) {
        precondition(shape.count >= 2 && shape[1] == scale.count,
                     "ChannelAffine: expected input [N, \(scale.count), ...], got shape \(shape)")
        return (shape[0] * shape[1], shape.dropFirst(2).reduce(1, *))
    }

    // x: [N, C, ...] -> y: same shape
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        let (planes, size) = layout(x.shape)
        var y = x
        let c = scale.count
        y.withUnsafeMutablePointer { p in
            for plane in 0..<planes {
                let s = scale[plane % c], t = shift[plane % c]
                for i in plane * size..<(plane + 1) * size { p[i] = p[i] * s + t }
            }
        }
        inputShape = x.shape
        return y
    }

    // dY -> dX = dY * scale[c]
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("ChannelAffine: backward called before forward") }
        dY.expectShape(shape, "ChannelAffine.backward dY")
        let (planes, size) = layout(shape)
        var dX = dY
        let c = scale.count
        dX.withUnsafeMutablePointer { p in
            for plane in 0..<planes {
                let s = scale[plane % c]
                for i in plane * size..<(plane + 1) * size { p[i] *= s }
            }
        }
        return dX
    }
}
