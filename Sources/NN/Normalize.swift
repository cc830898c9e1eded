/// Per-channel normalisation `y = (x - mean[c]) / std[c]` with fixed constants: the first layer of every model.
///
/// Making it a layer keeps attacks in pixel space [0, 1] (epsilons in pixel units) while the
/// network sees what it was trained on. It has no parameters and no buffers, so it does not
/// appear in `state_dict`.
public final class Normalize: Layer {
    public let mean: [Float]
    public let std: [Float]
    /// `1 / std[c]`, what forward multiplies by (kept, so an imported `Mul` by it is reproduced bit for bit).
    public let inverseStd: [Float]
    public var isTraining = false
    private var inputShape: [Int]?

    /// Constants per channel, e.g. CIFAR-10's `mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616]`.
    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count && !mean.isEmpty && std.allSatisfy { $0 > 0 },
                     "Normalize: need one positive std per mean, got mean \(mean) std \(std)")
        self.mean = mean
        self.std = std
        inverseStd = std.map { 1 / $0 }
    }

    /// `y = (x - mean[c]) * inverseStd[c]`, for graphs that store the reciprocal (an ONNX `Sub` then `Mul`).
    public init(mean: [Float], inverseStd: [Float]) {
        precondition(mean.count == inverseStd.count && !mean.isEmpty && inverseStd.allSatisfy { $0 > 0 && $0.isFinite },
                     "Normalize: need one positive inverse std per mean, got mean \(mean) inverse std \(inverseStd)")
        self.mean = mean
        self.std = inverseStd.map { 1 / $0 }
        self.inverseStd = inverseStd
    }

    // x: [N, C, H, W] -> y: [N, C, H, W]
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == mean.count,
                     "Normalize: expected input with \(mean.count) channels, got shape \(x.shape)")
        let c = mean.count, hw = x.shape[2] * x.shape[3]
        var y = x
        for plane in 0..<x.shape[0] * c {
            let m = mean[plane % c], inv = inverseStd[plane % c]
            y.withUnsafeMutablePointer { yp in for p in plane * hw..<(plane + 1) * hw { yp[p] = (yp[p] - m) * inv } }
        }
        inputShape = x.shape
        return y
    }

    // dY: [N, C, H, W] -> dX = dY / std[c]
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("Normalize: backward called before forward") }
        dY.expectShape(shape, "Normalize.backward dY")
        let c = mean.count, hw = shape[2] * shape[3]
        var dX = dY
        for plane in 0..<shape[0] * c {
            let inv = inverseStd[plane % c]
            dX.withUnsafeMutablePointer { dp in for p in plane * hw..<(plane + 1) * hw { dp[p] *= inv } }
        }
        return dX
    }
}
