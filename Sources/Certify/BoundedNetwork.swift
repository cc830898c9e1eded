import Kernels
import NN
import TensorCore

/// A network compiled for certification: its layers as bound rules, with private copies of the weights
/// (and of `|W|`), made once and reused across batches and epsilons.
///
/// A snapshot: later changes to the network's weights are not seen. Not for concurrent use (the private
/// layer copies keep forward caches); parallelism is inside each call, through the context.
public final class BoundedNetwork {
    private let nodes: [BoundNode]
    /// The last layer when it is a `Linear`: its weights give the elided margins.
    private let head: Linear?

    /// Samples per internal pass: IBP alone, and with CROWN (`K - 1` rows of Λ per sample, each as large as
    /// the largest activation). Fixed numbers, so memory is bounded whatever the batch; they never change results.
    static let intervalChunk = 64
    static let linearChunk = 16

    /// Compiles `network`, or throws `UnsupportedLayerError` naming every layer type without a bound rule.
    public init(_ network: any Layer) throws {
        nodes = try BoundNode.compile(network)
        if case .affine(let map) = nodes.last, let linear = map.centre as? Linear {
            head = linear
        } else {
            head = nil
        }
    }

    /// IBP bounds of the network's outputs for every input in `input` (no elision: the logits' own intervals).
    /// A sample whose bounds overflowed gets `[-infinity, +infinity]`.
    public func intervalBounds(_ input: Interval, context: ExecutionContext) -> Interval {
        var propagation = IntervalPropagation(samples: input.samples, recording: false, context: context)
        var out = propagation.propagate(nodes, input)
        let size = out.lower.sampleSize
        for (s, finite) in propagation.finite.enumerated() where !finite {
            for i in s * size..<(s + 1) * size {
                out.lower.storage[i] = -.infinity
                out.upper.storage[i] = .infinity
            }
        }
        return out
    }

    /// Sound lower bounds of `z_y - z_j` over the ball of radius `eps` around each image (clipped to [0, 1]),
    /// `[N, K]`, by one method; `+infinity` at `j = y`.
    public func marginBounds(x: Tensor, labels: [Int], eps: Float, method: BoundMethod, context: ExecutionContext) -> Tensor {
        let bounds = margins(x: x, labels: labels, eps: eps, methods: [method], context: context)
        return Tensor(shape: [labels.count, bounds.count / max(1, labels.count)], storage: bounds.map(Rounding.roundedDown))
    }

    /// Certifies each sample at `eps`: the smallest over `j != y` of the best lower bound of `z_y - z_j` that
    /// any of `methods` gives (all are sound, none always the tightest) must be above 0.
    public func certify(x: Tensor, labels: [Int], eps: Float, methods: [BoundMethod], context: ExecutionContext) -> CertificationResult {
        let bounds = margins(x: x, labels: labels, eps: eps, methods: methods, context: context)
        let classes = bounds.count / max(1, labels.count)
        let margins = (0..<labels.count).map { s in
            Rounding.roundedDown(bounds[s * classes..<(s + 1) * classes].min() ?? .infinity)
        }
        return CertificationResult(certified: margins.map { $0 > 0 }, margins: margins)
    }

    /// `[N * K]`: per entry the largest of the methods' sound lower bounds, chunk by chunk.
    private func margins(x: Tensor, labels: [Int], eps: Float, methods: [BoundMethod], context: ExecutionContext) -> [Double] {
        precondition(!methods.isEmpty, "certify: no bound method given")
        precondition(x.rank >= 2 && x.dim(0) == labels.count, "certify: \(labels.count) labels for inputs of shape \(x.shape)")
        let crown = methods.contains(.crown)
        let chunk = crown ? BoundedNetwork.linearChunk : BoundedNetwork.intervalChunk
        var out: [Double] = []
        for start in stride(from: 0, to: labels.count, by: chunk) {
            let rows = Array(start..<min(labels.count, start + chunk))
            let bounds = chunkMargins(x.gathering(rows), labels: rows.map { labels[$0] }, eps: eps, crown: crown, context: context)
            let chosen = methods.map { $0 == .ibp ? bounds.interval : bounds.linear! }
            out += (0..<bounds.interval.count).map { e in chosen.map { $0[e] }.max()! }
        }
        return out
    }

    /// One chunk: IBP always (its elided margins cost little once its bounds exist), CROWN when asked,
    /// walking back over IBP's record.
    private func chunkMargins(_ x: Tensor, labels: [Int], eps: Float, crown: Bool,
                              context: ExecutionContext) -> (interval: [Double], linear: [Double]?) {
        let ball = Interval(ball: x, eps: eps)
        var ibp = IntervalPropagation(samples: labels.count, recording: crown, context: context)
        let body = head == nil ? nodes : Array(nodes.dropLast())
        let last = ibp.propagate(body, ball)
        let classes = head?.outFeatures ?? last.lower.sampleSize
        precondition(classes >= 2 && labels.allSatisfy { (0..<classes).contains($0) },
                     "certify: labels must lie in 0..<\(classes) for a network of \(classes) outputs (>= 2)")
        let interval = head.map { MarginSums.elided($0, input: last, labels: labels, context: context) }
            ?? MarginSums.logits(last, labels: labels)
        let sound = { (sums: MarginSums) in sums.sound(labels: labels, classes: classes, finite: ibp.finite) }
        guard crown, let record = ibp.record else { return (sound(interval), nil) }

        var propagation = LinearPropagation(record: head == nil ? record : record + [last], context: context)
        var bound = LinearBound(specificationFor: labels, classes: classes, outputSampleShape: head == nil ? last.sampleShape : [classes])
        propagation.propagate(nodes, &bound)
        let (value, magnitude) = bound.concretised(over: ball, context: context)
        var linear = MarginSums(samples: labels.count, classes: classes)
        for (s, y) in labels.enumerated() {
            for (t, j) in (0..<classes).filter({ $0 != y }).enumerated() {
                linear.value[s * classes + j] = value[s * (classes - 1) + t]
                linear.magnitude[s * classes + j] = magnitude[s * (classes - 1) + t]
            }
        }
        return (sound(interval), sound(linear))
    }
}
