import Kernels
import Models
import NN

/// The context tests run layers on unless they test contexts themselves: every core, the detected
/// kernel (as the CLI's default). A test-support constant, never seen by library code.
public let testContext = ExecutionContext(threads: ExecutionContext.availableCores)

extension Layer {
    /// `forward(x, context: testContext)`: most tests check a layer's arithmetic, not its context.
    public func forward(_ x: Tensor) -> Tensor { forward(x, context: testContext) }

    /// `backward(dY, accumulateParameterGradients:, context: testContext)`.
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool) -> Tensor {
        backward(dY, accumulateParameterGradients: accumulateParameterGradients, context: testContext)
    }
}

extension Model {
    /// `logits(x, context: testContext)`.
    public func logits(_ x: Tensor) -> Tensor { logits(x, context: testContext) }
}

extension GraphOperation {
    /// `forward(inputs, context: testContext)`.
    public func forward(_ inputs: [Tensor]) -> Tensor { forward(inputs, context: testContext) }

    /// `backward(dY, accumulateParameterGradients:, context: testContext)`.
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool) -> [Tensor] {
        backward(dY, accumulateParameterGradients: accumulateParameterGradients, context: testContext)
    }
}
