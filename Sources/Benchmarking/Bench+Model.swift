import Kernels
import Models
import NN
import Workflow

/// Throughput of one zoo architecture on Fashion-MNIST-shaped input: inference (logits as
/// evaluation computes them) and training steps (forward, cross-entropy, backward with parameter
/// gradients, SGD update), images per second, medians of `runs` batches after a warm-up.
public struct ModelBenchResult: Codable, Sendable {
    public var model: String
    public var batch_size: Int
    public var threads: Int
    public var runs: Int
    public var inference_images_per_second: Double
    public var train_images_per_second: Double
}

/// One batch of each case `bench model` times, set up once: `bench model` repeats them, `bench paced`
/// runs them one at a time on request.
public struct ModelBenchSteps {
    /// Inference as evaluation runs it: BatchNorm folded, micro-batched (see `LoadedModel.makeClassifier`).
    public let infer: () -> Void
    /// A training step as `robust train` runs it: forward, cross-entropy, backward, SGD update (trunk
    /// micro-batched where that is exact, see `TrainingPass`).
    public let train: () -> Void

    /// Random inputs in [0, 1] and random labels (throughput does not depend on values).
    public init(_ architecture: String, batchSize: Int, context: ExecutionContext) throws {
        let model = try Model(architecture: architecture, dataset: "fashion-mnist", inputShape: .fashionMNIST,
                              classNames: (0..<10).map(String.init), seed: 1)
        var rng = SplitMix64(seed: 3)
        let x = Tensor(shape: [batchSize, 1, 28, 28], storage: (0..<(batchSize * 784)).map { _ in rng.nextFloat() })
        let labels = (0..<batchSize).map { _ in rng.nextInt(10) }
        let fresh = { foldingBatchNorms(model.replicaNetwork()) }
        // Replicas made after a training step copy its weights: the work does not depend on them.
        let classifier = NetworkClassifier(network: fresh(), classes: 10, context: context, replicate: fresh)
        infer = { _ = classifier.logits(x) }
        let network = model.network
        let optimizer = SGD(momentum: 0.9, nesterov: true, weightDecay: 5e-4)
        let parameters = network.namedParameters()
        network.isTraining = true
        let pass = TrainingPass(network: network, context: context, replicate: model.replicaNetwork)
        train = {
            _ = pass.run(x) { logits in crossEntropy(logits: logits, labels: labels) }
            optimizer.step(parameters, learningRate: 0.01)
            network.zeroGrad()
        }
    }
}

/// Measures `architecture`'s inference and training steps, medians of `runs` batches after a warm-up.
public func benchModel(_ architecture: String, batchSize: Int, context: ExecutionContext, runs: Int) throws -> ModelBenchResult {
    let steps = try ModelBenchSteps(architecture, batchSize: batchSize, context: context)
    let infer = Summary(measure(runs: runs, steps.infer))
    let step = Summary(measure(runs: runs, steps.train))
    return ModelBenchResult(model: architecture, batch_size: batchSize, threads: context.threads, runs: runs,
                            inference_images_per_second: Double(batchSize) / infer.median,
                            train_images_per_second: Double(batchSize) / step.median)
}
