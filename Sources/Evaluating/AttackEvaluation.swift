import Attacks
import Datasets
import Foundation
import Metrics
import NN

/// Evaluates attacks on one classifier and dataset selection: the core of `robust eval`,
/// independent of checkpoints and files so tests can drive it with any `Classifier`.
///
/// Every sample is attacked with its own random stream, so records do not depend on the batch
/// size, the thread count or which other samples share a batch.
public struct AttackEvaluation {
    public var dataset: Dataset
    /// Global indices, in evaluation order.
    public var indices: [Int]
    public var batchSize: Int
    public var seed: UInt64
    public var reuse: Bool
    public var prune: Bool
    public var examplesPerAttack: Int
    let classifier: MonitoredClassifier
    let progress: EvalProgress?
    /// Where finished batches are appended, and read back from on resume (nil: no journal).
    var journal: RunJournal?

    public init(classifier: any Classifier, dataset: Dataset, indices: [Int], batchSize: Int, seed: UInt64,
                reuse: Bool = true, prune: Bool = true, examplesPerAttack: Int = 4, progress: EvalProgress? = nil) {
        self.classifier = MonitoredClassifier(classifier)
        self.dataset = dataset
        self.indices = indices
        self.batchSize = batchSize
        self.seed = seed
        self.reuse = reuse
        self.prune = prune
        self.examplesPerAttack = examplesPerAttack
        self.progress = progress
    }

    /// Predictions on the clean images.
    public struct CleanPass {
        public var predictions: [Int]
        public var confidences: [Double]
        /// Clean logits, [n * classes], for choosing targets.
        public var logits: [Float]
        /// A second forward pass of the first batch gave bit-identical logits.
        public var deterministic: Bool

        /// The clean pass of the samples at `positions` (per-sample results do not depend on the batch).
        func subset(_ positions: [Int], classes k: Int) -> CleanPass {
            CleanPass(predictions: positions.map { predictions[$0] }, confidences: positions.map { confidences[$0] },
                      logits: positions.flatMap { logits[$0 * k..<($0 + 1) * k] }, deterministic: deterministic)
        }
    }

    /// Everything one attack produced over its epsilons.
    public struct AttackOutcome {
        public var run: AttackRun
        public var records: [SampleRecord]
        public var points: [CurvePoint]
        public var examples: [Example]
        /// Samples whose adversarial example left the epsilon-ball or the box.
        public var boundViolations: Int
    }

    var labels: [Int] { indices.map { dataset.labels[$0] } }

    /// Clean predictions, in batches.
    public func cleanPass() -> CleanPass {
        var predictions: [Int] = [], confidences: [Double] = [], logits: [Float] = []
        var deterministic = true
        for (b, batch) in dataset.batches(indices: indices, batchSize: batchSize).enumerated() {
            let z = classifier.logits(batch.x)
            if b == 0 { deterministic = classifier.logits(batch.x) == z }
            for row in 0..<batch.labels.count {
                let (p, c) = argmaxAndProbability(z, row: row)
                predictions.append(p)
                confidences.append(c)
            }
            logits += z.storage
        }
        return CleanPass(predictions: predictions, confidences: confidences, logits: logits, deterministic: deterministic)
    }

    /// Runs one attack at each of its epsilons, ascending.
    public func run(_ spec: AttackSpec, attack: any Attack, clean: CleanPass) -> AttackOutcome {
        let type = type(of: attack)
        let norm = spec.options.norm ?? type.defaultNorm
        let n = indices.count, labels = labels
        let targets = chooseTargets(spec.options.target, clean: clean, attack: spec.id)
        // Gallery examples come from a small epsilon (a third of the way up the grid), where
        // the perturbation is least visible and the point of the picture is strongest.
        let nonzero = spec.epsilons.filter { $0 > 0 }
        let exampleEps = nonzero.isEmpty ? nil : nonzero[(nonzero.count - 1) / 3]
        var fooledAt: [SampleRecord?] = Array(repeating: nil, count: n)
        var records: [SampleRecord] = [], points: [CurvePoint] = [], examples: [Example] = []
        var violations = 0
        let started = Date()
        for eps in spec.epsilons {
            let epsStart = Date()
            var epsRecords = [SampleRecord?](repeating: nil, count: n)
            var toAttack: [Int] = []
            for pos in 0..<n {
                let base = SampleRecord(index: indices[pos], label: labels[pos], attack: spec.id, norm: norm.rawValue, eps: eps,
                                        cleanPred: clean.predictions[pos], advPred: clean.predictions[pos], success: false, linf: 0, l2: 0)
                if clean.predictions[pos] != labels[pos] || (targets != nil && targets![pos] == nil) {
                    epsRecords[pos] = base
                } else if reuse, var previous = fooledAt[pos] {
                    previous.eps = eps
                    epsRecords[pos] = previous
                } else {
                    toAttack.append(pos)
                }
            }
            var attackQueries = 0
            for chunkStart in stride(from: 0, to: toAttack.count, by: batchSize) {
                let chunk = Array(toAttack[chunkStart..<min(chunkStart + batchSize, toAttack.count)])
                if let done = journal?.entry(attack: spec.id, eps: eps, start: chunkStart), done.records.count == chunk.count {
                    for (record, pos) in zip(done.records, chunk) {
                        epsRecords[pos] = record
                        if record.success { fooledAt[pos] = record }
                    }
                    examples += done.examples
                    violations += done.violations
                    attackQueries += done.queries
                    classifier.replay(gradientSamples: done.gradientSamples, zeroGradientSamples: done.zeroGradientSamples,
                                      nonFiniteLogits: done.nonFiniteLogits, nonFiniteGradients: done.nonFiniteGradients)
                    progress?.advance(attack: spec.id, eps: eps, done: chunkStart + chunk.count, of: toAttack.count)
                    continue
                }
                let counts = (classifier.gradientSamples, classifier.zeroGradientSamples, classifier.nonFiniteLogits,
                              classifier.nonFiniteGradients, violations, examples.count)
                let batch = dataset.batches(indices: chunk.map { indices[$0] }, batchSize: chunk.count)[0]
                let context = AttackContext(eps: Float(eps), seed: seed, indices: batch.indices, prune: prune)
                let chunkTargets = targets.map { t in chunk.map { t[$0]! } }
                let before = classifier.queries
                let adv = attack.perturb(classifier, x: batch.x, labels: batch.labels, targets: chunkTargets, context: context)
                let chunkQueries = classifier.queries - before
                attackQueries += chunkQueries
                let z = classifier.inner.logits(adv)
                let d = adv.count / max(1, chunk.count)
                for (row, pos) in chunk.enumerated() {
                    let advRow = adv.storage[row * d..<(row + 1) * d], cleanRow = batch.x.storage[row * d..<(row + 1) * d]
                    let (pred, confidence) = argmaxAndProbability(z, row: row)
                    let (linf, l2) = perturbationNorms(advRow, cleanRow)
                    let size = norm == .linf ? linf : l2
                    if size > eps + 1e-6 || advRow.contains(where: { !($0 >= 0 && $0 <= 1) }) { violations += 1 }
                    let success = chunkTargets.map { pred == $0[row] } ?? (pred != labels[pos])
                    let record = SampleRecord(index: indices[pos], label: labels[pos], attack: spec.id, norm: norm.rawValue, eps: eps,
                                              cleanPred: clean.predictions[pos], advPred: pred, success: success, linf: linf, l2: l2)
                    epsRecords[pos] = record
                    // Reused at larger ε only once the attack reached its goal: a targeted attack that
                    // merely left the true class is attacked again, since its target may be reachable there.
                    if success { fooledAt[pos] = record }
                    if eps == exampleEps, pred != labels[pos], examples.count < examplesPerAttack {
                        examples.append(Example(index: indices[pos], label: labels[pos], attack: spec.id, norm: norm.rawValue, eps: eps,
                                                cleanPred: clean.predictions[pos], cleanConfidence: clean.confidences[pos],
                                                advPred: pred, advConfidence: confidence,
                                                channels: dataset.channels, height: dataset.height, width: dataset.width,
                                                cleanPixels: bytes(cleanRow), advPixels: bytes(advRow)))
                    }
                }
                journal?.append(RunJournal.Entry(
                    attack: spec.id, eps: eps, start: chunkStart, records: chunk.map { epsRecords[$0]! },
                    examples: Array(examples[counts.5...]), violations: violations - counts.4, queries: chunkQueries,
                    gradientSamples: classifier.gradientSamples - counts.0, zeroGradientSamples: classifier.zeroGradientSamples - counts.1,
                    nonFiniteLogits: classifier.nonFiniteLogits - counts.2, nonFiniteGradients: classifier.nonFiniteGradients - counts.3))
                progress?.advance(attack: spec.id, eps: eps, done: chunkStart + chunk.count, of: toAttack.count)
            }
            let final = epsRecords.map { $0! }
            records += final
            points.append(.from(attack: spec.id, norm: norm.rawValue, eps: eps, records: final, queries: attackQueries,
                                seconds: Date().timeIntervalSince(epsStart)))
        }
        var parameters = attack.resolvedParameters(eps: exampleEps ?? spec.epsilons.last ?? 0)
        parameters["reuse_across_eps"] = "\(reuse)"
        if !spec.overriddenByFlags.isEmpty { parameters["overridden_by_flags"] = spec.overriddenByFlags.joined(separator: ",") }
        if let stepSize = parameters["step_size"], spec.options.stepSize == nil { parameters["step_size"] = "derived from eps (\(stepSize) at eps \(exampleEps ?? 0))" }
        let run = AttackRun(id: spec.id, attack: spec.attack, norm: norm.rawValue, epsilons: spec.epsilons, parameters: parameters,
                            usesGradients: type.usesGradients, seconds: Date().timeIntervalSince(started))
        return AttackOutcome(run: run, records: records, points: points, examples: examples, boundViolations: violations)
    }

    /// The target of each sample for a targeted run (nil entries cannot be targeted: the target
    /// is their own label), or nil for an untargeted run.
    func chooseTargets(_ mode: TargetMode, clean: CleanPass, attack: String) -> [Int?]? {
        let k = classifier.classes
        switch mode {
        case .none: return nil
        case .fixed(let t): return labels.map { $0 == t ? nil : t }
        case .leastLikely:
            return labels.indices.map { pos in
                let row = clean.logits[pos * k..<(pos + 1) * k]
                let t = row.indices.min { row[$0] < row[$1] }! - pos * k
                return t == labels[pos] ? nil : t
            }
        case .random:
            return labels.enumerated().map { pos, label in
                var rng = SplitMix64(seed: SplitMix64.derive(seed, UInt64(indices[pos]), 0x7461_7267_6574)) // "target"
                let t = rng.nextInt(k - 1)
                return t >= label ? t + 1 : t
            }
        }
    }

    /// Zero-gradient and non-finite counts seen so far.
    var monitor: MonitoredClassifier { classifier }
}

/// Pixels in [0, 1] as bytes.
func bytes(_ pixels: ArraySlice<Float>) -> [UInt8] {
    pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
}
