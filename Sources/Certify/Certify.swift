import Kernels
import NN
import TensorCore

/// How lower bounds of the margins are computed. Both are sound; neither is always the tighter.
public enum BoundMethod: String, CaseIterable, Sendable {
    /// Interval bound propagation with the last layer elided (`IntervalPropagation`, `MarginSums.elided`).
    case ibp
    /// Linear relaxation pulled back from the output (`LinearPropagation`), on IBP's intermediate bounds.
    case crown
}

/// Per sample: whether it is certified at the epsilon asked, and the margin bound that decided it.
public struct CertificationResult: Sendable, Equatable {
    /// `margins[s] > 0`: no input in the ball (clipped to [0, 1]) changes the sample's class from its label.
    public var certified: [Bool]
    /// The smallest over `j != y` of the best lower bound of `z_y - z_j` (rounded down to Float, after the final
    /// rounding allowance); `-infinity` when the bounds overflowed.
    public var margins: [Float]

    public init(certified: [Bool], margins: [Float]) {
        self.certified = certified
        self.margins = margins
    }
}

/// Certifies each image of `x` (`[N, ...]`, pixels in [0, 1]) with label `labels[s]` against every input in
/// the L∞ ball of radius `eps` intersected with [0, 1], taking per specification row the tightest of
/// `methods`' bounds. Throws `UnsupportedLayerError` for a network with layers that have no bound rule.
///
/// Compiles the network each call; `BoundedNetwork` keeps the compiled form across batches and epsilons.
public func certify(network: any Layer, x: Tensor, labels: [Int], eps: Float, methods: [BoundMethod],
                    context: ExecutionContext) throws -> CertificationResult {
    try BoundedNetwork(network).certify(x: x, labels: labels, eps: eps, methods: methods, context: context)
}
