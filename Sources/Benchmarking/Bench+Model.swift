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

/// Measures `architecture` with random inputs in [0, 1] (throughput does not depend on values).
public func benchModel(_ architecture: String, batchSize: Int, context: ExecutionContext, runs: Int) throws -> ModelBenchResult {
    let model = try Model(architecture: architecture, dataset: "fashion-mnist", inputShape: .fashionMNIST,
                          classNames: (0..<10).map(String.init), seed: 1)
    var rng = SplitMix64(seed: 3)
    let x = Tensor(shape: [batchSize, 1, 28, 28], storage: (0..<(batchSize * 784)).map { _ in rng.nextFloat() })
    let labels = (0..<batchSize).map { _ in rng.nextInt(10) }
    // Inference as evaluation runs it: BatchNorm folded, micro-batched (see `LoadedModel.makeClassifier`).
    let fresh = { foldingBatchNorms(model.replicaNetwork()) }
    let classifier = NetworkClassifier(network: fresh(), classes: 10, context: context, replicate: fresh)
    let infer = Summary(measure(runs: runs) { _ = classifier.logits(x) })
    let network = model.network
    let optimizer = SGD(momentum: 0.9, nesterov: true, weightDecay: 5e-4)
    let parameters = network.namedParameters()
    network.isTraining = true
    // The step as `robust train` runs it (trunk micro-batched where that is exact, see `TrainingPass`).
    let pass = TrainingPass(network: network, context: context, replicate: model.replicaNetwork)
    let step = Summary(measure(runs: runs) {
        _ = pass.run(x) { logits in crossEntropy(logits: logits, labels: labels) }
        optimizer.step(parameters, learningRate: 0.01)
        network.zeroGrad()
    })
    network.isTraining = false
    return ModelBenchResult(model: architecture, batch_size: batchSize, threads: context.threads, runs: runs,
                            inference_images_per_second: Double(batchSize) / infer.median,
                            train_images_per_second: Double(batchSize) / step.median)
}
