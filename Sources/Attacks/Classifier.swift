import NN

/// What an attack may know about a model: logits, and the input gradient of an objective.
///
/// Attacks never see a concrete network, so a wrapped or imported model works the same. The
/// query counter counts samples passed forward (one forward of a batch of 8 is 8 queries),
/// which is how black-box attacks are budgeted and reported.
public protocol Classifier: AnyObject {
    /// Number of classes (logits per sample).
    var classes: Int { get }
    /// Samples passed forward so far.
    var queries: Int { get }
    /// Logits for pixels in [0, 1]. x: [N, C, H, W] -> [N, classes].
    func logits(_ x: Tensor) -> Tensor
    /// Logits, each sample's objective value and the gradient of each sample's own objective with
    /// respect to its own input (no weight gradients are computed). The objective maps logits to
    /// per-sample values and dValue/dLogits.
    func valueAndGradient(_ x: Tensor, objective: (Tensor) -> ObjectiveValue) -> (logits: Tensor, values: [Float], gradient: Tensor)
}

/// A model's network seen as a `Classifier`: forward in inference mode, backward for the input
/// gradient only (`accumulateParameterGradients: false`, so Conv2d skips its weight GEMM).
public final class NetworkClassifier: Classifier {
    public let network: any Layer
    public let classes: Int
    public private(set) var queries = 0

    public init(network: any Layer, classes: Int) {
        self.network = network
        self.classes = classes
    }

    public func logits(_ x: Tensor) -> Tensor {
        queries += x.dim(0)
        network.isTraining = false
        return network.forward(x)
    }

    public func valueAndGradient(_ x: Tensor, objective: (Tensor) -> ObjectiveValue) -> (logits: Tensor, values: [Float], gradient: Tensor) {
        let z = logits(x)
        let value = objective(z)
        let dX = network.backward(value.dLogits, accumulateParameterGradients: false)
        return (z, value.values, dX)
    }
}
