import Datasets
import Kernels
import NN

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
/// `progress` receives an event after every step and every epoch (see `ProgressBar`).
@discardableResult
public func train(network: any Layer, train: Dataset, trainIndices: [Int], evalSet: Dataset?, evalIndices: [Int],
                  config: TrainConfig, progress: ((TrainEvent) -> Void)? = nil) -> TrainReport {
    precondition(!trainIndices.isEmpty, "train: no training samples")
    precondition((evalSet == nil) == evalIndices.isEmpty,
                 "train: give both an evaluation set and its indices, or neither (\(evalIndices.count) indices given)")
    let savedThreads = Parallel.defaultThreads
    Parallel.defaultThreads = config.threads
    defer { Parallel.defaultThreads = savedThreads }

    let runClock = Stopwatch()
    let parameters = network.namedParameters()
    let optimizer = config.makeOptimizer()
    let stepsPerEpoch = (trainIndices.count + config.batchSize - 1) / config.batchSize
    var epochs: [EpochReport] = []
    network.zeroGrad()

    for epoch in 0..<config.epochs {
        var order = trainIndices
        var rng = SplitMix64(seed: SplitMix64.derive(config.seed, UInt64(epoch)))
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, rng.nextInt(i + 1))
        }

        network.isTraining = true
        let epochClock = Stopwatch()
        var lossSum = 0.0, correct = 0, seen = 0
        var learningRate = config.schedule.base
        for (step, batch) in train.batches(indices: order, batchSize: config.batchSize).enumerated() {
            learningRate = config.schedule.learningRate(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch,
                                                        epochs: config.epochs)
            let logits = network.forward(batch.x)
            let (loss, dLogits) = crossEntropy(logits: logits, labels: batch.labels)
            _ = network.backward(dLogits, accumulateParameterGradients: true)
            if let clipValue = config.clipValue { clipGradValue(parameters, clipValue: clipValue) }
            if let clipNorm = config.clipNorm { clipGradNorm(parameters, maxNorm: clipNorm) }
            optimizer.step(parameters, learningRate: learningRate)
            network.zeroGrad()

            lossSum += Double(loss) * Double(batch.labels.count)
            correct += countCorrect(logits: logits, labels: batch.labels)
            seen += batch.labels.count
            progress?(.step(TrainProgress(
                epoch: epoch, epochs: config.epochs, step: step, stepsPerEpoch: stepsPerEpoch,
                loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                imagesPerSecond: Double(seen) / max(epochClock.seconds, 1e-9), learningRate: learningRate)))
        }
        let trainSeconds = epochClock.seconds
        network.isTraining = false

        let evalClock = Stopwatch()
        let held = evalSet.map { evaluate(network: network, dataset: $0, indices: evalIndices, batchSize: config.batchSize) }
        let report = EpochReport(
            epoch: epoch, trainLoss: lossSum / Double(seen), trainAccuracy: Double(correct) / Double(seen),
            evalLoss: held?.loss, evalAccuracy: held?.accuracy, learningRate: learningRate,
            imagesPerSecond: Double(seen) / max(trainSeconds, 1e-9), trainSeconds: trainSeconds,
            evalSeconds: evalClock.seconds)
        epochs.append(report)
        progress?(.epoch(report))
    }
    return TrainReport(config: config, trainCount: trainIndices.count, evalCount: evalIndices.count,
                       epochs: epochs, seconds: runClock.seconds)
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
public func evaluate(network: any Layer, dataset: Dataset, indices: [Int], batchSize: Int) -> Evaluation {
    precondition(!indices.isEmpty, "evaluate: no samples to evaluate")
    network.isTraining = false
    var lossSum = 0.0, correct = 0
    for batch in dataset.batches(indices: indices, batchSize: batchSize) {
        let logits = network.forward(batch.x)
        lossSum += Double(crossEntropy(logits: logits, labels: batch.labels).loss) * Double(batch.labels.count)
        correct += countCorrect(logits: logits, labels: batch.labels)
    }
    return Evaluation(loss: lossSum / Double(indices.count), accuracy: Double(correct) / Double(indices.count),
                      count: indices.count)
}

/// Clean accuracy of `network` on `indices` of `dataset`, in inference mode: `evaluate(...).accuracy`.
public func evaluateAccuracy(network: any Layer, dataset: Dataset, indices: [Int], batchSize: Int) -> Double {
    evaluate(network: network, dataset: dataset, indices: indices, batchSize: batchSize).accuracy
}

/// How many rows of `logits` `[N, K]` have their arg-max (first maximum on ties, as `torch.argmax`) at the label.
func countCorrect(logits: Tensor, labels: [Int]) -> Int {
    let k = logits.shape[1]
    var correct = 0
    for (i, label) in labels.enumerated() {
        var best = 0
        for j in 1..<k where logits.storage[i * k + j] > logits.storage[i * k + best] { best = j }
        if best == label { correct += 1 }
    }
    return correct
}
