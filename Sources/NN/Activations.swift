import Foundation

/// Leaky ReLU `y = x` for `x >= 0`, `alpha * x` otherwise (ONNX `LeakyRelu`, PyTorch `nn.LeakyReLU`).
///
/// The gradient at exactly 0 is taken as 1, as PyTorch's (`x > 0 ? 1 : alpha` would differ only there).
public final class LeakyReLU: Layer {
    public let alpha: Float
    public var isTraining = false
    private var input: Tensor?

    public init(alpha: Float = 0.01) { self.alpha = alpha }

    // x: any shape -> y: same shape
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        input = x
        let a = alpha
        return Tensor(shape: x.shape, storage: x.storage.map { $0 >= 0 ? $0 : a * $0 })
    }

    // dY -> dX = dY where x >= 0, alpha * dY elsewhere
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let x = input else { preconditionFailure("LeakyReLU: backward called before forward") }
        dY.expectShape(x.shape, "LeakyReLU.backward dY")
        let a = alpha
        return Tensor(shape: x.shape, storage: zip(x.storage, dY.storage).map { $0 >= 0 ? $1 : a * $1 })
    }
}

/// Logistic sigmoid `y = 1 / (1 + exp(-x))`, elementwise (ONNX `Sigmoid`).
public final class Sigmoid: Layer {
    public var isTraining = false
    private var output: Tensor?

    public init() {}

    // x: any shape -> y: same shape, computed without overflow for large |x|
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        let y = Tensor(shape: x.shape, storage: x.storage.map { v in
            v >= 0 ? 1 / (1 + Foundation.exp(-v)) : Foundation.exp(v) / (1 + Foundation.exp(v))
        })
        output = y
        return y
    }

    // dY -> dX = dY * y * (1 - y)
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let y = output else { preconditionFailure("Sigmoid: backward called before forward") }
        dY.expectShape(y.shape, "Sigmoid.backward dY")
        return Tensor(shape: y.shape, storage: zip(y.storage, dY.storage).map { $1 * $0 * (1 - $0) })
    }
}

/// Hyperbolic tangent, elementwise (ONNX `Tanh`).
public final class Tanh: Layer {
    public var isTraining = false
    private var output: Tensor?

    public init() {}

    // x: any shape -> y: same shape
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        let y = Tensor(shape: x.shape, storage: x.storage.map { Foundation.tanh($0) })
        output = y
        return y
    }

    // dY -> dX = dY * (1 - y^2)
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let y = output else { preconditionFailure("Tanh: backward called before forward") }
        dY.expectShape(y.shape, "Tanh.backward dY")
        return Tensor(shape: y.shape, storage: zip(y.storage, dY.storage).map { $1 * (1 - $0 * $0) })
    }
}
