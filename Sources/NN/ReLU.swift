import Kernels

/// Rectified linear unit `y = max(x, 0)`, elementwise.
///
/// The gradient at exactly 0 is taken as 0 (PyTorch's choice).
public final class ReLU: Layer {
    public var isTraining = false
    private var input: Tensor?

    public init() {}

    // x: any shape -> y: same shape
    public func forward(_ x: Tensor) -> Tensor {
        input = x
        var y = x
        let n = y.count
        y.withUnsafeMutablePointer { reluInPlace($0, count: n) }
        return y
    }

    // dY: same shape as x -> dX = dY where x > 0, else 0
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool) -> Tensor {
        guard let x = input else { preconditionFailure("ReLU: backward called before forward") }
        dY.expectShape(x.shape, "ReLU.backward dY")
        var dX = dY
        let n = dX.count
        x.withUnsafePointer { xp in
            dX.withUnsafeMutablePointer { reluMaskInPlace($0, input: xp, count: n) }
        }
        return dX
    }
}
