import Kernels
import NN

/// One training step's forward and backward with parameter gradients, the convolutional trunk run as
/// micro-batches of 8 images in parallel (each through its own copy of the network, as
/// `NetworkClassifier` does for attacks) and the dense head on the whole batch.
///
/// Why: layer by layer over a whole batch every activation goes out to memory and back; a
/// micro-batch's stay in L2. Exact, not approximate: a convolution sums its weight gradient in
/// partials of `Conv2d.weightGradientChunk` (8) images added in order, so the copies' gradients,
/// added into the network's in micro-batch order, are the same float operations in the same order
/// as the whole batch's: the gradients are bit for bit those of `network.backward` on the batch,
/// whatever the thread count. So it applies only when that holds: a `Sequential` whose layers
/// before the first `Linear` are convolutions and layers without parameters, none mixing samples
/// (no BatchNorm, whose batch statistics need the whole batch). Otherwise the batch runs whole.
public final class TrainingPass {
    public let network: any Layer
    public let context: ExecutionContext
    private let replicate: (() -> any Layer)?
    private let trunkLength: Int?
    private let head: Sequential?
    /// Trunk 0 is the network's own layers; trunk j > 0 is cut from `copies[j - 1]`.
    private var trunks: [Sequential] = []
    private var copies: [any Layer] = []

    /// `replicate` builds a copy of `network` with its weights (nil: whole batches only).
    public init(network: any Layer, context: ExecutionContext, replicate: (() -> any Layer)?) {
        self.network = network
        self.context = context
        self.replicate = replicate
        if replicate != nil, let sequential = network as? Sequential,
           let first = sequential.layers.firstIndex(where: { $0 is Linear }), first > 0,
           sequential.layers[..<first].allSatisfy(TrainingPass.sumsInChunks) {
            trunkLength = first
            head = Sequential(Array(sequential.layers[first...]))
            trunks = [Sequential(Array(sequential.layers[..<first]))]
        } else {
            (trunkLength, head) = (nil, nil)
        }
        // Wrapping layers in new containers reset their mode; the caller's mode stands.
        network.isTraining = network.isTraining
    }

    /// Whether the trunk runs in micro-batches (see the type's conditions).
    public var isMicroBatched: Bool { trunkLength != nil }

    /// Logits of `x`; then `objective(logits)` gives the loss and dLogits, and backward ADDS the
    /// parameter gradients into the network's `grad`s (`accumulateParameterGradients`: the input's
    /// gradient is never computed).
    public func run(_ x: Tensor, objective: (Tensor) -> (loss: Float, dLogits: Tensor)) -> (loss: Float, logits: Tensor) {
        guard let head, let parts = microBatches(x.dim(0)) else {
            let logits = network.forward(x, context: context)
            let (loss, dLogits) = objective(logits)
            network.accumulateParameterGradients(dLogits, context: context)
            return (loss, logits)
        }
        synchronizeCopies()
        let features = stack(parts, x) { $0.forward($1, context: self.context) }
        let logits = head.forward(features, context: context)
        let (loss, dLogits) = objective(logits)
        let dFeatures = head.backward(dLogits, accumulateParameterGradients: true, context: context)
        context.forEach(parts.count) { j in
            trunks[j].accumulateParameterGradients(dFeatures.gathering(Array(parts[j])), context: self.context)
        }
        addCopiesGradients(count: parts.count)
        return (loss, logits)
    }

    /// Layers whose parameter gradients are per-chunk partial sums (convolutions) or that have none,
    /// and that never mix samples.
    private static func sumsInChunks(_ layer: any Layer) -> Bool {
        if layer is BatchNorm2d { return false }
        if layer is Conv2d { return Conv2d.weightGradientChunk == microBatch }
        return layer.ownParameters.isEmpty && layer.children.allSatisfy { sumsInChunks($0.layer) }
    }

    private static let microBatch = 8

    /// Fixed micro-batches of 8 (never a function of the thread count), copies made as needed.
    private func microBatches(_ n: Int) -> [Range<Int>]? {
        guard let trunkLength, let replicate, n > TrainingPass.microBatch else { return nil }
        let parts = stride(from: 0, to: n, by: TrainingPass.microBatch).map { $0..<min(n, $0 + TrainingPass.microBatch) }
        while trunks.count < parts.count {
            let copy = replicate()
            guard let sequential = copy as? Sequential else { preconditionFailure("TrainingPass: a replica is not a Sequential") }
            copies.append(copy)
            trunks.append(Sequential(Array(sequential.layers[..<trunkLength])))
        }
        return parts
    }

    /// The copies take the network's current weights and mode.
    private func synchronizeCopies() {
        for copy in copies { copy.isTraining = network.isTraining }
        synchronize(copies, with: network)
    }

    /// The network's trunk gradients += each used copy's, in micro-batch order; the copies' are zeroed.
    private func addCopiesGradients(count: Int) {
        let own = trunks[0].namedParameters().map(\.parameter)
        for j in 1..<count {
            for (target, source) in zip(own, trunks[j].namedParameters().map(\.parameter)) {
                let n = target.grad.count
                source.grad.withUnsafePointer { sp in
                    target.grad.withUnsafeMutablePointer { tp in for i in 0..<n { tp[i] += sp[i] } }
                }
                source.zeroGrad()
            }
        }
    }

    private func stack(_ parts: [Range<Int>], _ x: Tensor, _ body: (Sequential, Tensor) -> Tensor) -> Tensor {
        stackParts(parts, of: x, context: context) { body(trunks[$0], $1) }
    }
}

/// Gives every copy `network`'s current parameters and buffers (storage shared until either is written):
/// the copies of `NetworkClassifier` and `TrainingPass`.
func synchronize(_ copies: [any Layer], with network: any Layer) {
    let state = network.namedState()
    for copy in copies {
        for ((_, source), (_, target)) in zip(state, copy.namedState()) { target.value = source.value }
    }
}

/// `body(j, rows parts[j] of x)` for every part in parallel, the results stacked in order: the
/// micro-batch loop of `NetworkClassifier` and `TrainingPass`.
func stackParts(_ parts: [Range<Int>], of x: Tensor, context: ExecutionContext, _ body: (Int, Tensor) -> Tensor) -> Tensor {
    var results = [Tensor?](repeating: nil, count: parts.count)
    results.withUnsafeMutableBufferPointer { out in
        context.forEach(parts.count) { j in out[j] = body(j, x.gathering(Array(parts[j]))) }
    }
    let pieces = results.map { $0! }
    var offsets: [Int] = [], total = 0
    for piece in pieces {
        offsets.append(total)
        total += piece.count
    }
    // The pieces are copied into place in parallel too: copied on one thread, the cnn's trunk output
    // (3 MiB at batch 256) kept the other worker waiting on every pass.
    let storage = [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
        if let base = buffer.baseAddress {
            context.forEach(pieces.count) { j in
                pieces[j].storage.withUnsafeBufferPointer { if let from = $0.baseAddress { (base + offsets[j]).update(from: from, count: $0.count) } }
            }
        }
        initialized = total
    }
    return Tensor(shape: [x.dim(0)] + pieces[0].shape.dropFirst(), storage: storage)
}
