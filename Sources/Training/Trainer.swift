import Attacks
import Certify
import Datasets
import Models
import NN
import Workflow

/// Trains `network` in place with mini-batch gradient descent and softmax cross-entropy.
///
/// Each epoch shuffles `trainIndices` by Fisher–Yates with `SplitMix64(seed: SplitMix64.derive(seed, epoch))`,
/// a stream of its own, so epoch `e`'s order does not depend on anything before it. Each step:
/// training mode, forward, `crossEntropy`, backward accumulating parameter gradients, clipping,
/// optimiser step at the scheduled learning rate, zeroed gradients. After each epoch the network
/// is evaluated on `evalIndices` of `evalSet` in inference mode. Every kernel keeps reductions
/// independent of the thread count, so the final weights are bit-identical for the same seed
/// whatever `config.threads` is. The network is left in inference mode.
///
/// With `config.privacy` (DP-SGD) the batches are Poisson samples instead (`poissonSample`, round(1/q) steps an
/// epoch, q = batchSize / samples), each step's gradient is `PrivateGradient`'s (per-sample clipping, noise,
/// division by batchSize), and each epoch reports the ε spent so far.
///
/// `progress` receives an event after every step and every epoch (see `ProgressBar`).
@discardableResult
///
/// `replicate` (a copy of `network` with its current weights, e.g. `Model.replicaNetwork`) lets the
/// adversary and the robust-accuracy probe run micro-batches in parallel (see `NetworkClassifier`);
/// copies are synchronised before each use, so results are the same with or without it.
public func train(network: any Layer, train: Dataset, trainIndices: [Int], evalSet: Dataset?, evalIndices: [Int],
                  config: TrainConfig, context: ExecutionContext, replicate: (() -> any Layer)? = nil,
                  progress: ((TrainEvent) -> Void)? = nil) -> TrainReport {
    precondition(!trainIndices.isEmpty, "train: no training samples")
    precondition((evalSet == nil) == evalIndices.isEmpty,
                 "train: give both an evaluation set and its indices, or neither (\(evalIndices.count) indices given)")

    let runClock = Stopwatch()
    let parameters = network.namedParameters()
    let optimizer = config.makeOptimizer()
    var stepsPerEpoch = (trainIndices.count + config.batchSize - 1) / config.batchSize
    var epochs: [EpochReport] = []
    network.zeroGrad()
    let adversary = config.adversarial.map {
        AdversarialBatch(config: $0, classifier: NetworkClassifier(network: network, classes: 0, context: context, replicate: replicate))
    }
    let interval = config.adversarial?.method == .ibp ? IntervalTraining(network) : nil
    // Standard steps micro-batch the trunk where that is exact; IBP's bound pass reads the clean
    // pass's forward caches, which must then hold the whole batch.
    let pass = TrainingPass(network: network, context: context, replicate: interval == nil ? replicate : nil)
    // DP-SGD: Poisson batches of expected size batchSize, round(1/q) steps an epoch, and a ledger of ε.
    let privateGradient = config.privacy.map { privacy in
        checkPrivateTraining(config, network: network, trainCount: trainIndices.count)
        return PrivateGradient(privacy: privacy, clipping: try! PerSampleGradients(network), expectedBatchSize: config.batchSize)
    }
    var ledger: PrivacyLedger?
    if let privacy = config.privacy {
        let q = DifferentialPrivacy.sampleRate(batchSize: config.batchSize, trainCount: trainIndices.count)
        stepsPerEpoch = DifferentialPrivacy.stepsPerEpoch(sampleRate: q)
        ledger = PrivacyLedger(privacy: privacy, sampleRate: q)
    }

    for epoch in 0..<config.epochs {
        let steps: [[Int]]
        if let ledger {
            steps = (0..<stepsPerEpoch).map {
                poissonSample(trainIndices, sampleRate: ledger.sampleRate, seed: config.seed, epoch: epoch, step: $0)
            }
        } else {
            var order = trainIndices
            var rng = SplitMix64(seed: SplitMix64.derive(config.seed, UInt64(epoch)))
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, rng.nextInt(i + 1))
            }
            steps = stride(from: 0, to: order.count, by: config.batchSize).map { Array(order[$0..<min($0 + config.batchSize, order.count)]) }
        }

        network.isTraining = true
        let epochClock = Stopwatch()
        var lossSum = 0.0, correct = 0, seen = 0
        var learningRate = config.schedule.base
        for (step, indices) in steps.enumerated() {
            learningRate = config.schedule.learningRate(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch,
                                                        epochs: config.epochs)
            // A Poisson batch may be empty: the step still happens (noise only), as the accountant assumes.
            if !indices.isEmpty {
                let batch = train.batches(indices: indices, batchSize: indices.count)[0]
                var x = batch.x
                config.augmentation.apply(&x, indices: batch.indices, seed: config.seed, epoch: epoch)
                let loss: Float, logits: Tensor
                if let interval, let ibp = config.adversarial {
                    // Clean pass first: the bound pass reuses the layers' forward caches after it.
                    let bound = ibp.boundWeight(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch)
                    let (cleanLoss, cleanLogits) = lossAndBackward(pass, x, batch.labels, smoothing: config.augmentation.labelSmoothing, weight: 1 - bound)
                    let eps = ibp.epsilon(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch)
                    let boundLoss = bound > 0 ? interval.lossAndBackward(x: x, labels: batch.labels, eps: eps, weight: bound, context: context).loss : 0
                    (loss, logits) = ((1 - bound) * cleanLoss + bound * boundLoss, cleanLogits)
                } else if let adversary {
                    let eps = adversary.config.epsilon(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch)
                    network.isTraining = false
                    adversary.classifier.synchronizeCopies()
                    let xAdv = adversary.generate(x, labels: batch.labels, indices: batch.indices, eps: eps, seed: config.seed, epoch: epoch)
                    network.isTraining = true
                    if let privateGradient {
                        // Each sample's adversarial example depends on that sample alone: clip its gradient as any other.
                        (loss, logits) = privateGradient.accumulateClippedSum(xAdv, labels: batch.labels, smoothing: config.augmentation.labelSmoothing, context: context)
                    } else if adversary.config.method == .trades {
                        (loss, logits) = tradesStep(network: network, context: context, clean: x, adversarial: xAdv, labels: batch.labels, beta: adversary.config.beta)
                    } else if adversary.config.mix < 1 {
                        // Mixed batches: the adversarial term's gradients first, then the clean term's, both accumulated.
                        let m = adversary.config.mix
                        let (advLoss, _) = lossAndBackward(pass, xAdv, batch.labels, smoothing: config.augmentation.labelSmoothing, weight: m)
                        let (cleanLoss, cleanLogits) = lossAndBackward(pass, x, batch.labels, smoothing: config.augmentation.labelSmoothing, weight: 1 - m)
                        (loss, logits) = (m * advLoss + (1 - m) * cleanLoss, cleanLogits)
                    } else {
                        (loss, logits) = lossAndBackward(pass, xAdv, batch.labels, smoothing: config.augmentation.labelSmoothing)
                    }
                } else if let privateGradient {
                    (loss, logits) = privateGradient.accumulateClippedSum(x, labels: batch.labels, smoothing: config.augmentation.labelSmoothing, context: context)
                } else {
                    (loss, logits) = lossAndBackward(pass, x, batch.labels, smoothing: config.augmentation.labelSmoothing)
                }
                lossSum += Double(loss) * Double(batch.labels.count)
                correct += countCorrect(logits: logits, labels: batch.labels)
                seen += batch.labels.count
            }
            privateGradient?.addNoiseAndAverage(parameters, seed: config.seed, epoch: epoch, step: step, context: context)
            if let clipValue = config.clipValue { clipGradValue(parameters, clipValue: clipValue) }
            if let clipNorm = config.clipNorm { clipGradNorm(parameters, maxNorm: clipNorm) }
            optimizer.step(parameters, learningRate: learningRate)
            network.zeroGrad()

            progress?(.step(TrainProgress(
                epoch: epoch, epochs: config.epochs, step: step, stepsPerEpoch: stepsPerEpoch,
                loss: lossSum / Double(max(seen, 1)), accuracy: Double(correct) / Double(max(seen, 1)),
                imagesPerSecond: Double(seen) / max(epochClock.seconds, 1e-9), learningRate: learningRate)))
        }
        let trainSeconds = epochClock.seconds
        network.isTraining = false

        let evalClock = Stopwatch()
        let held = evalSet.map { evaluate(network: network, dataset: $0, indices: evalIndices, batchSize: config.batchSize, context: context) }
        // Adversarial training: PGD-10 robust accuracy on a held-out subset, to see robustness grow
        // and to catch catastrophic overfitting (robust accuracy collapsing while clean accuracy rises).
        var robust: Double?, certified: Double?
        if let adversary, let set = evalSet {
            adversary.classifier.synchronizeCopies()
            robust = robustAccuracy(classifier: adversary.classifier, dataset: set, indices: Array(evalIndices.prefix(500)),
                                    eps: adversary.config.eps, batchSize: config.batchSize)
            if interval != nil {
                certified = certifiedAccuracy(network: network, dataset: set, indices: Array(evalIndices.prefix(500)),
                                              eps: adversary.config.eps, batchSize: config.batchSize, context: context)
            }
        }
        let report = EpochReport(
            epoch: epoch, trainLoss: lossSum / Double(max(seen, 1)), trainAccuracy: Double(correct) / Double(max(seen, 1)),
            evalLoss: held?.loss, evalAccuracy: held?.accuracy, learningRate: learningRate,
            imagesPerSecond: Double(seen) / max(trainSeconds, 1e-9), trainSeconds: trainSeconds,
            evalSeconds: evalClock.seconds, evalRobustAccuracy: robust, evalCertifiedAccuracy: certified,
            dpEpsilon: ledger?.record(steps: stepsPerEpoch), dpDelta: config.privacy?.delta)
        epochs.append(report)
        progress?(.epoch(report))
    }
    return TrainReport(config: config, trainCount: trainIndices.count, evalCount: evalIndices.count,
                       epochs: epochs, seconds: runClock.seconds)
}

/// DP-SGD's preconditions on the recipe (the CLI and `trainModel` turn each into a usage error first).
private func checkPrivateTraining(_ config: TrainConfig, network: any Layer, trainCount: Int) {
    let unsupported = PerSampleGradients.unsupportedLayers(in: network)
    precondition(unsupported.isEmpty, "train: DP-SGD needs per-sample gradients; \(unsupported) have none")
    precondition(config.batchSize <= trainCount, "train: DP batch size \(config.batchSize) above the \(trainCount) samples")
    precondition(config.clipNorm == nil && config.clipValue == nil, "train: DP-SGD clips per sample; batch clipping is not allowed")
    if let adversarial = config.adversarial {
        precondition([.pgd, .fgsmRS].contains(adversarial.method) && adversarial.mix == 1,
                     "train: DP-SGD composes with --adv pgd and fgsm-rs replacing the batch only")
    }
    if let privacy = config.privacy {
        precondition(privacy.noiseMultiplier > 0 && privacy.maxGradNorm > 0 && privacy.delta > 0 && privacy.delta < 1,
                     "train: DP values unchecked or not calibrated: \(privacy)")
    }
}

/// Forward, loss (label-smoothed when asked) and backward with parameter gradients: one standard step's gradients.
/// `weight` scales the gradients (for mixed clean and adversarial losses); the loss is returned unscaled.
private func lossAndBackward(_ pass: TrainingPass, _ x: Tensor, _ labels: [Int], smoothing: Float, weight: Float = 1) -> (Float, Tensor) {
    pass.run(x) { logits in
        var (loss, dLogits) = smoothedCrossEntropy(logits: logits, labels: labels, smoothing: smoothing)
        if weight != 1 { for i in dLogits.storage.indices { dLogits.storage[i] *= weight } }
        return (loss, dLogits)
    }
}

/// Accuracy under PGD-10 (L-inf, random start) at `eps`, in inference mode.
func robustAccuracy(classifier: NetworkClassifier, dataset: Dataset, indices: [Int], eps: Float, batchSize: Int) -> Double {
    guard !indices.isEmpty, let pgd = try? PGD(options: AttackOptions(norm: .linf, steps: 10)) else { return 0 }
    classifier.network.isTraining = false
    var correct = 0
    for batch in dataset.batches(indices: indices, batchSize: batchSize) {
        let adv = pgd.perturb(classifier, x: batch.x, labels: batch.labels, targets: nil,
                              context: AttackContext(eps: eps, seed: 0, indices: batch.indices))
        correct += countCorrect(logits: classifier.logits(adv), labels: batch.labels)
    }
    return Double(correct) / Double(indices.count)
}

/// Fraction of the samples IBP certifies at `eps` (sound bounds, `BoundedNetwork`), in inference mode.
func certifiedAccuracy(network: any Layer, dataset: Dataset, indices: [Int], eps: Float, batchSize: Int,
                       context: ExecutionContext) -> Double {
    guard !indices.isEmpty, let bounded = try? BoundedNetwork(network) else { return 0 }
    var certified = 0
    for batch in dataset.batches(indices: indices, batchSize: batchSize) {
        certified += bounded.certify(x: batch.x, labels: batch.labels, eps: eps, methods: [.ibp], context: context)
            .certified.filter { $0 }.count
    }
    return Double(certified) / Double(indices.count)
}

/// Mean loss and accuracy of a classifier on a selection of samples.
public struct Evaluation: Codable, Equatable, Sendable {
    /// Mean softmax cross-entropy over the samples.
    public var loss: Double
    /// Fraction of samples whose arg-max prediction equals the label.
    public var accuracy: Double
    /// Number of samples evaluated.
    public var count: Int
}

/// Loss and accuracy of `network` on `indices` of `dataset`, in inference mode (running statistics).
///
/// Sets `isTraining = false` and leaves it so: evaluation must never update BatchNorm statistics.
/// Batch size changes only the speed, not the result, since every layer is per-sample in inference.
public func evaluate(network: any Layer, dataset: Dataset, indices: [Int], batchSize: Int, context: ExecutionContext) -> Evaluation {
    precondition(!indices.isEmpty, "evaluate: no samples to evaluate")
    network.isTraining = false
    var lossSum = 0.0, correct = 0
    for batch in dataset.batches(indices: indices, batchSize: batchSize) {
        let logits = network.forward(batch.x, context: context)
        lossSum += Double(crossEntropy(logits: logits, labels: batch.labels).loss) * Double(batch.labels.count)
        correct += countCorrect(logits: logits, labels: batch.labels)
    }
    return Evaluation(loss: lossSum / Double(indices.count), accuracy: Double(correct) / Double(indices.count),
                      count: indices.count)
}

/// Clean accuracy of `network` on `indices` of `dataset`, in inference mode: `evaluate(...).accuracy`.
public func evaluateAccuracy(network: any Layer, dataset: Dataset, indices: [Int], batchSize: Int, context: ExecutionContext) -> Double {
    evaluate(network: network, dataset: dataset, indices: indices, batchSize: batchSize, context: context).accuracy
}

/// How many rows of `logits` `[N, K]` have their arg-max (first maximum on ties, as `torch.argmax`) at the label.
func countCorrect(logits: Tensor, labels: [Int]) -> Int {
    labels.indices.filter { argmax(logits, row: $0) == labels[$0] }.count
}
