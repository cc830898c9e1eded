#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Kernels
import NN
import TensorCore

/// The loss of certified training with interval bounds (IBP; Gowal et al. 2018, section 3) and its gradient:
/// cross-entropy of the worst-case logits `z~_j = -m_j`, where `m_j` is IBP's lower bound of `z_y - z_j` over
/// the L∞ ball (clipped to [0, 1]) with the last layer elided (`z~_y = 0`). A network whose loss is small has
/// positive bounded margins: it is certified, not merely hard to attack.
///
/// The bounds run through the network's own layers, so their gradients land in its parameters: an affine layer
/// takes the centre `mu' = A mu + b` on the real layer and the radius `r' = |A| r` on a private copy holding
/// `|A|`, whose weight gradient flows back as `sign(A) * dL/d|A|`. Unlike `BoundedNetwork` these bounds are not
/// rounded outward: training needs gradients, certification (afterwards) needs soundness.
///
/// Supported layers: `Linear`, `Conv2d`, `Normalize`, `ReLU`, `MaxPool2d`, `Flatten`, `Reshape` in `Sequential`s,
/// ending in a `Linear` (the zoo's mlp and cnn). `unsupportedLayers(in:)` names the others (BatchNorm mixes the
/// samples of a batch, and the residual sums are not written yet). Uses the network's forward caches: call it
/// after any clean pass of the same step, never in the middle of one.
public final class IntervalTraining {
    private let steps: [TrainingStep]
    private let head: Linear

    /// The layer types of `network` that interval training cannot go through, or an empty list.
    public static func unsupportedLayers(in network: any Layer) -> [String] {
        var unsupported: [String] = []
        let steps = compile(network, unsupported: &unsupported)
        if !(steps.last.map(\.isLinear) ?? false) { unsupported.append("a last layer other than Linear") }
        return unsupported
    }

    /// Prepares `network` (shared: gradients go into its parameters). The network must pass `unsupportedLayers`.
    public init(_ network: any Layer) {
        var unsupported: [String] = []
        var steps = IntervalTraining.compile(network, unsupported: &unsupported)
        guard unsupported.isEmpty, case .affine(let last as Linear, _, _) = steps.last else {
            preconditionFailure("IntervalTraining: the network has layers without an interval rule: \(unsupported)")
        }
        steps.removeLast()
        self.steps = steps
        head = last
    }

    /// Adds `weight * dL/dθ` of the mean interval loss over the batch at radius `eps` into the network's parameter
    /// gradients. Returns the mean loss (unweighted) and how many samples have every bounded margin above 0.
    public func lossAndBackward(x: Tensor, labels: [Int], eps: Float, weight: Float,
                                context: ExecutionContext) -> (loss: Float, verified: Int) {
        precondition(x.dim(0) == labels.count, "IntervalTraining: \(labels.count) labels for inputs of shape \(x.shape)")
        var bounds = IntervalPair(lower: map(x, context: context) { max(0, $0 - eps) }, upper: map(x, context: context) { min(1, $0 + eps) })
        var records: [StepRecord] = []
        for step in steps {
            let (next, record) = step.forward(bounds, context: context)
            records.append(record)
            bounds = next
        }
        let (loss, verified, gradient) = elidedLoss(bounds, labels: labels, weight: weight)
        var g = gradient
        for (step, record) in zip(steps, records).reversed() {
            g = step.backward(g, record: record, context: context)
        }
        return (loss, verified)
    }

    /// The head elided into the specification (see `MarginSums.elided`), its loss, and the gradient of
    /// `weight * loss` with respect to the head's parameters (accumulated) and to its input bounds (returned).
    private func elidedLoss(_ h: IntervalPair, labels: [Int], weight: Float) -> (Float, Int, IntervalPair) {
        let classes = head.outFeatures, width = head.inFeatures, n = labels.count
        precondition(h.lower.sampleSize == width, "IntervalTraining: the last Linear layer takes \(width) features, got \(h.lower.shape)")
        let w = head.weight.value.storage, b = head.bias?.value.storage ?? [Float](repeating: 0, count: classes)
        var dW = [Double](repeating: 0, count: classes * width), dB = [Double](repeating: 0, count: classes)
        var gLower = Tensor(shape: h.lower.shape), gUpper = Tensor(shape: h.upper.shape)
        var lossSum = 0.0, verified = 0
        for s in 0..<n {
            let y = labels[s]
            let mu = (0..<width).map { (Double(h.lower.storage[s * width + $0]) + Double(h.upper.storage[s * width + $0])) / 2 }
            let r = (0..<width).map { (Double(h.upper.storage[s * width + $0]) - Double(h.lower.storage[s * width + $0])) / 2 }
            // Worst-case logits: 0 for the label, -m_j for the others.
            var logits = [Double](repeating: 0, count: classes)
            for j in 0..<classes where j != y {
                var m = Double(b[y]) - Double(b[j])
                for i in 0..<width {
                    let d = Double(w[y * width + i]) - Double(w[j * width + i])
                    m += d * mu[i] - abs(d) * r[i]
                }
                logits[j] = -m
            }
            let lse = logSumExp(logits)
            lossSum += lse - logits[y]
            if logits.enumerated().allSatisfy({ $0.offset == y || $0.element < 0 }) { verified += 1 }
            // dL/dm_j = -softmax_j / n for j != y (m_y is the constant 0).
            var gMu = [Double](repeating: 0, count: width), gR = gMu
            for j in 0..<classes where j != y {
                let gm = -exp(logits[j] - lse) * Double(weight) / Double(n)
                dB[y] += gm
                dB[j] -= gm
                for i in 0..<width {
                    let d = Double(w[y * width + i]) - Double(w[j * width + i])
                    let sign: Double = d > 0 ? 1 : (d < 0 ? -1 : 0)
                    gMu[i] += gm * d
                    gR[i] -= gm * abs(d)
                    let dd = gm * (mu[i] - sign * r[i])
                    dW[y * width + i] += dd
                    dW[j * width + i] -= dd
                }
            }
            for i in 0..<width {
                gLower.storage[s * width + i] = Float((gMu[i] - gR[i]) / 2)
                gUpper.storage[s * width + i] = Float((gMu[i] + gR[i]) / 2)
            }
        }
        for i in 0..<dW.count { head.weight.grad.storage[i] += Float(dW[i]) }
        if let bias = head.bias { for j in 0..<classes { bias.grad.storage[j] += Float(dB[j]) } }
        return (Float(lossSum / Double(n)), verified, IntervalPair(lower: gLower, upper: gUpper))
    }

    private static func compile(_ layer: any Layer, unsupported: inout [String]) -> [TrainingStep] {
        func refuse(_ name: String) -> [TrainingStep] {
            if !unsupported.contains(name) { unsupported.append(name) }
            return []
        }
        switch layer {
        case let sequential as Sequential:
            return sequential.layers.flatMap { compile($0, unsupported: &unsupported) }
        case let linear as Linear:
            let absolute = Linear(linear.inFeatures, linear.outFeatures, bias: false, seed: 0)
            return [.affine(linear, linear.weight, absolute: (absolute, absolute.weight))]
        case let conv as Conv2d:
            let absolute = Conv2d(conv.inChannels, conv.outChannels, kernelSize: (conv.kernelHeight, conv.kernelWidth),
                                  stride: conv.stride, padding: conv.padding, bias: false, seed: 0)
            return [.affine(conv, conv.weight, absolute: (absolute, absolute.weight))]
        case let normalize as Normalize:
            if normalize.inverseStd.contains(where: { !($0 > 0) }) { return refuse("Normalize with a non-positive scale") }
            return [.monotone(lower: normalize, upper: normalize)]
        case is ReLU:
            return [.relu]
        case let pool as MaxPool2d:
            func copy() -> MaxPool2d { MaxPool2d(kernelSize: pool.kernelSize, stride: pool.stride, padding: pool.padding) }
            return [.monotone(lower: copy(), upper: copy())]
        case is Flatten:
            return [.monotone(lower: Flatten(), upper: Flatten())]
        case let reshape as Reshape:
            return [.monotone(lower: Reshape(sampleShape: reshape.sampleShape), upper: Reshape(sampleShape: reshape.sampleShape))]
        default:
            return refuse(String(describing: type(of: layer)))
        }
    }
}

/// Lower and upper bounds (or their gradients) of one activation, `[N, ...]` each.
struct IntervalPair {
    var lower: Tensor
    var upper: Tensor
}

/// What a step's backward needs from its forward beyond the layers' own caches.
enum StepRecord {
    case none
    /// ReLU: where each bound was positive.
    case relu(lower: Tensor, upper: Tensor)
}

/// One layer of interval training, with its rule both ways.
enum TrainingStep {
    /// `y = A x + b` (the network's layer, its weight) and a private copy holding `|A|` without bias.
    case affine(any Layer, Parameter, absolute: (layer: any Layer, weight: Parameter))
    /// A monotone increasing map applied to each bound (private copies where the layer caches per call).
    case monotone(lower: any Layer, upper: any Layer)
    case relu

    var isLinear: Bool {
        if case .affine(let layer, _, _) = self { return layer is Linear }
        return false
    }

    func forward(_ x: IntervalPair, context: ExecutionContext) -> (IntervalPair, StepRecord) {
        switch self {
        case let .affine(layer, weight, absolute):
            absolute.weight.value = Tensor(shape: weight.value.shape, storage: weight.value.storage.map(abs))
            let mu = zipMap(x.lower, x.upper, context: context) { ($0 + $1) * 0.5 }
            let r = zipMap(x.lower, x.upper, context: context) { ($1 - $0) * 0.5 }
            let centre = layer.forward(mu, context: context)
            let radius = absolute.layer.forward(r, context: context)
            return (IntervalPair(lower: zipMap(centre, radius, context: context, -), upper: zipMap(centre, radius, context: context, +)), .none)
        case let .monotone(lower, upper):
            return (IntervalPair(lower: lower.forward(x.lower, context: context), upper: upper.forward(x.upper, context: context)), .none)
        case .relu:
            return (IntervalPair(lower: map(x.lower, context: context) { max($0, 0) }, upper: map(x.upper, context: context) { max($0, 0) }),
                    .relu(lower: x.lower, upper: x.upper))
        }
    }

    /// Gradients with respect to the step's input bounds, given those of its output bounds; parameter gradients
    /// are added to the network's parameters.
    func backward(_ g: IntervalPair, record: StepRecord, context: ExecutionContext) -> IntervalPair {
        switch self {
        case let .affine(layer, weight, absolute):
            // lower = c - r', upper = c + r': dL/dc = gl + gu, dL/dr' = gu - gl.
            let gCentre = zipMap(g.lower, g.upper, context: context, +), gRadius = zipMap(g.upper, g.lower, context: context, -)
            let gMu = layer.backward(gCentre, accumulateParameterGradients: true, context: context)
            absolute.weight.zeroGrad()
            let gR = absolute.layer.backward(gRadius, accumulateParameterGradients: true, context: context)
            let w = weight.value.storage, gAbs = absolute.weight.grad.storage
            weight.grad.withUnsafeMutablePointer { gp in
                for i in 0..<w.count where w[i] != 0 { gp[i] += w[i] > 0 ? gAbs[i] : -gAbs[i] }
            }
            // mu = (l + u) / 2, r = (u - l) / 2.
            return IntervalPair(lower: zipMap(gMu, gR, context: context) { ($0 - $1) * 0.5 }, upper: zipMap(gMu, gR, context: context) { ($0 + $1) * 0.5 })
        case let .monotone(lower, upper):
            return IntervalPair(lower: lower.backward(g.lower, accumulateParameterGradients: false, context: context),
                                upper: upper.backward(g.upper, accumulateParameterGradients: false, context: context))
        case .relu:
            guard case let .relu(l, u) = record else { preconditionFailure("IntervalTraining: ReLU backward without its record") }
            return IntervalPair(lower: zipMap(g.lower, l, context: context) { $1 > 0 ? $0 : 0 }, upper: zipMap(g.upper, u, context: context) { $1 > 0 ? $0 : 0 })
        }
    }
}

/// Elementwise `f(a, b)` of two tensors of one shape, samples in parallel (these passes run over every
/// activation several times per step).
func zipMap(_ a: Tensor, _ b: Tensor, context: ExecutionContext, _ f: (Float, Float) -> Float) -> Tensor {
    precondition(a.shape == b.shape, "IntervalTraining: shapes \(a.shape) and \(b.shape) differ")
    var out = Tensor(unfilled: a.shape)
    let size = a.sampleSize
    a.withUnsafePointer { ap in
    b.withUnsafePointer { bp in
    out.withUnsafeMutablePointer { op in
        context.forEach(a.dim(0)) { s in
            for i in s * size..<(s + 1) * size { op[i] = f(ap[i], bp[i]) }
        }
    }}}
    return out
}

/// Elementwise `f(a)`, samples in parallel.
func map(_ a: Tensor, context: ExecutionContext, _ f: (Float) -> Float) -> Tensor {
    zipMap(a, a, context: context) { x, _ in f(x) }
}
