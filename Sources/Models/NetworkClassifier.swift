import NN

/// A model's network seen as a `Classifier`: forward in inference mode, backward for the input
/// gradient only (`accumulateParameterGradients: false`, so Conv2d skips its weight GEMM).
///
/// With `replicate`, the convolutional trunk (the layers before the first `Linear` of a
/// `Sequential`) runs as micro-batches in parallel, each through its own copy of the network with
/// single-threaded layers, and the dense head runs on the whole batch. Why: layer by layer over a
/// whole batch, every activation (25 MiB for the cnn's first layer at batch 256) goes out to
/// memory and comes back, while a micro-batch's activations stay in the core's L2 and its layers
/// need no barrier between them; a dense layer, though, repacks its whole weight matrix per call,
/// so it wants the whole batch. Results are bit-identical either way: every kernel computes a
/// sample independently of its batch.
public final class NetworkClassifier: Classifier {
    public let network: any Layer
    /// Threads, kernel and workspaces for every layer call (the micro-batches split its threads).
    public let context: ExecutionContext
    public let classes: Int
    public private(set) var queries = 0
    /// Largest micro-batch; smaller when a batch is too small to keep every thread busy.
    public let microBatch: Int
    private let replicate: (() -> any Layer)?
    /// Layers in the trunk: all of them (nil) or those before the first `Linear` of a `Sequential`.
    private let trunkLength: Int?
    private let head: Sequential?
    /// One trunk per micro-batch; the first is `network`'s own layers, the others cut from `copies`.
    private var trunks: [any Layer] = []
    private var copies: [any Layer] = []

    /// `replicate` builds a copy of `network` with the same weights (nil: whole batches through `network`).
    public init(network: any Layer, classes: Int, context: ExecutionContext, microBatch: Int = 4,
                replicate: (() -> any Layer)? = nil) {
        precondition(microBatch > 0, "NetworkClassifier: micro-batch \(microBatch)")
        self.network = network
        self.context = context
        self.classes = classes
        self.microBatch = microBatch
        self.replicate = replicate
        // Without copies nothing is split (wrapping layers in new containers sets their mode).
        if replicate != nil, let sequential = network as? Sequential,
           let first = sequential.layers.firstIndex(where: { $0 is Linear }) {
            (trunkLength, head) = (first, Sequential(Array(sequential.layers[first...])))
        } else {
            (trunkLength, head) = (nil, nil)
        }
        if replicate != nil { trunks = [trunk(of: network)] }
    }

    public func logits(_ x: Tensor) -> Tensor {
        forward(x, microBatches(x.dim(0)))
    }

    public func valueAndGradient(_ x: Tensor, objective: (Tensor) -> ObjectiveValue) -> (logits: Tensor, values: [Float], gradient: Tensor) {
        let parts = microBatches(x.dim(0))
        let z = forward(x, parts)
        let value = objective(z)
        guard let parts else {
            return (z, value.values, network.backward(value.dLogits, accumulateParameterGradients: false, context: context))
        }
        let dFeatures = head?.backward(value.dLogits, accumulateParameterGradients: false, context: context) ?? value.dLogits
        // The same split as the forward, so each trunk runs backward on what it saw.
        let dX = run(parts, dFeatures) { $0.backward($1, accumulateParameterGradients: false, context: self.context) }
        return (z, value.values, dX)
    }

    /// Gives every copy `network`'s current parameters and buffers, after training changed them.
    /// Cheap: the tensors share storage until the next optimiser step writes `network`'s.
    public func synchronizeCopies() {
        synchronize(copies, with: network)
    }

    /// Logits: the trunk on each part, then the head on the whole batch (or everything whole).
    private func forward(_ x: Tensor, _ parts: [Range<Int>]?) -> Tensor {
        queries += x.dim(0)
        network.isTraining = false
        guard let parts else { return network.forward(x, context: context) }
        let features = run(parts, x) { $0.forward($1, context: self.context) }
        return head?.forward(features, context: context) ?? features
    }

    /// The trunk of `network`, one of its copies.
    private func trunk(of network: any Layer) -> any Layer {
        guard let trunkLength, let sequential = network as? Sequential else { return network }
        return Sequential(Array(sequential.layers[..<trunkLength]))
    }

    /// The micro-batch ranges for a batch of `n`, or nil to run it whole.
    private func microBatches(_ n: Int) -> [Range<Int>]? {
        guard let replicate, n > 1, trunkLength != 0 else { return nil }
        let size = max(1, min(microBatch, (n + context.threads - 1) / context.threads))
        let parts = stride(from: 0, to: n, by: size).map { $0..<min(n, $0 + size) }
        while trunks.count < parts.count {
            let copy = replicate()
            copies.append(copy)
            trunks.append(trunk(of: copy))
        }
        return parts
    }

    /// `body(trunk j, rows parts[j] of x)` for every part in parallel, the results stacked in order.
    private func run(_ parts: [Range<Int>], _ x: Tensor, _ body: (any Layer, Tensor) -> Tensor) -> Tensor {
        stackParts(parts, of: x, context: context) { body(trunks[$0], $1) }
    }
}
