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
        for i in 0..<y.count where y.storage[i] < 0 { y.storage[i] = 0 }
        return y
    }

    // dY: same shape as x -> dX = dY where x > 0, else 0
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool) -> Tensor {
        guard let x = input else { preconditionFailure("ReLU: backward called before forward") }
        dY.expectShape(x.shape, "ReLU.backward dY")
        var dX = dY
        for i in 0..<dX.count where !(x.storage[i] > 0) { dX.storage[i] = 0 }
        return dX
    }
}
