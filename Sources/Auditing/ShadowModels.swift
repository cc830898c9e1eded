import Datasets
import Foundation
import Kernels
import Models
import Reports
import TensorCore
import Training
import Workflow

/// The images a model is scored on: one dataset split and indices into it.
struct AuditedImages {
    let dataset: Dataset
    let indices: [Int]
}

/// LiRA's shadow models (Carlini et al. 2022, offline variant): K models trained like the target, each on its
/// own random subset of a reference pool that holds none of the audited images, so every shadow is an OUT
/// model for every audited image.
struct ShadowModels {
    /// The target's recipe; each shadow replaces its seed.
    let recipe: TrainConfig
    let architecture: String
    let datasetName: String
    let classNames: [String]
    let pool: Dataset
    let poolIndices: [Int]
    /// Images per shadow training set.
    let trainingSamples: Int
    let count: Int
    let seed: UInt64

    /// Shadow k's seeds, both from (seed, k): the Fisher–Yates draw of its subset, and its recipe seed
    /// (initial weights, batch order).
    func seeds(_ k: Int) -> (subset: UInt64, training: UInt64) {
        (SplitMix64.derive(seed, UInt64(k), 0), SplitMix64.derive(seed, UInt64(k), 1))
    }

    /// Shadow k's training indices: the first `trainingSamples` of the pool shuffled by its subset seed, sorted.
    func subset(_ k: Int) -> [Int] {
        var order = poolIndices
        var rng = SplitMix64(seed: seeds(k).subset)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(i + 1)) }
        return order.prefix(trainingSamples).sorted()
    }

    /// Trains each shadow in turn and returns every audited image's φ under each (`[image][shadow]`, images in
    /// the order of `images`' groups), with each shadow's record.
    func confidences(of images: [AuditedImages], batchSize: Int, context: ExecutionContext,
                     progress: ShadowProgress?) throws -> (phi: [[Double]], models: [ShadowModelInfo]) {
        let imageCount = images.reduce(0) { $0 + $1.indices.count }
        var phi = [[Double]](repeating: [], count: imageCount)
        var models: [ShadowModelInfo] = []
        let shape = InputShape(channels: pool.channels, height: pool.height, width: pool.width)
        for k in 0..<count {
            let started = Date()
            var config = recipe
            config.seed = seeds(k).training
            let model: Model
            do {
                model = try Model(architecture: architecture, dataset: datasetName, inputShape: shape, classNames: classNames, seed: config.seed)
            } catch let error as ModelError {
                throw ToolError.usage("LiRA cannot build a shadow of the target: \(error); use --attack loss")
            }
            let report = train(network: model.network, train: pool, trainIndices: subset(k), evalSet: nil, evalIndices: [],
                               config: config, context: context, replicate: model.replicaNetwork,
                               progress: progress.map { bar in { bar.handle($0, shadow: k) } })
            let classifier = NetworkClassifier(network: model.network, classes: classNames.count, context: context,
                                               replicate: model.replicaNetwork)
            var row = 0
            for group in images {
                for value in ModelOutputs(classifier: classifier, dataset: group.dataset, indices: group.indices, batchSize: batchSize).confidences {
                    phi[row].append(value)
                    row += 1
                }
            }
            let last = report.epochs.last
            models.append(ShadowModelInfo(index: k, subsetSeed: seeds(k).subset, trainingSeed: config.seed,
                                          trainAccuracy: last?.trainAccuracy ?? 0, trainLoss: last?.trainLoss ?? 0,
                                          seconds: Date().timeIntervalSince(started)))
        }
        return (phi, models)
    }
}
