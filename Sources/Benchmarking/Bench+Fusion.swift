import Kernels
import Models
import NN
import Workflow

/// What fusing each ReLU into the convolution or max-pool before it (`Conv2d.fusesReLU`,
/// `MaxPool2d.fusesReLU`) buys an attack, measured in pairs (`measurePaired`): each pair runs the
/// same batch's evaluation forward and input gradient (BatchNorm folded, micro-batched) through the
/// network with separate ReLU layers and through the fused one, milliseconds apart. A speedup above 1
/// is the fused network's. Results are bit-identical either way (BatchNormFoldingTests), so only time
/// is compared.
public struct FusionBenchResult: Codable, Sendable {
    public var model: String
    public var batch_size: Int
    public var threads: Int
    public var pairs: Int
    public var attack_pass_speedup: Summary
}

/// Measures the fusion on `architecture` with random Fashion-MNIST-shaped input (speed does not depend on values).
public func benchFusion(_ architecture: String, batchSize: Int, context: ExecutionContext, pairs: Int) throws -> FusionBenchResult {
    let model = try Model(architecture: architecture, dataset: "fashion-mnist", inputShape: .fashionMNIST,
                          classNames: (0..<10).map(String.init), seed: 1)
    var rng = SplitMix64(seed: 3)
    let x = Tensor(shape: [batchSize, 1, 28, 28], storage: (0..<(batchSize * 784)).map { _ in rng.nextFloat() })
    let classifiers = [false, true].map { fusing in
        let make = { foldingBatchNorms(model.replicaNetwork(), fusingReLUs: fusing) }
        return NetworkClassifier(network: make(), classes: 10, context: context, replicate: make)
    }
    func pass(_ classifier: NetworkClassifier) {
        _ = classifier.valueAndGradient(x) { z in ObjectiveValue(values: [Float](repeating: 0, count: batchSize), dLogits: z) }
    }
    let ratios = measurePaired(pairs: pairs, { pass(classifiers[0]) }, { pass(classifiers[1]) })
    return FusionBenchResult(model: architecture, batch_size: batchSize, threads: context.threads, pairs: pairs,
                             attack_pass_speedup: Summary(ratios))
}
