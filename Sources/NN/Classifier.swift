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

/// Per-sample objective values and their gradient with respect to the logits.
public struct ObjectiveValue {
    /// One value per sample: what the attack maximises.
    public var values: [Float]
    /// d(value_i)/d(logits_i), [N, K]. Not divided by N: each sample's gradient is its own,
    /// so a sample's attack never depends on which batch it is in.
    public var dLogits: Tensor

    public init(values: [Float], dLogits: Tensor) {
        self.values = values
        self.dLogits = dLogits
    }
}
