import Certify
import Datasets
import Files
import Foundation
import Metrics
import Models
import NN
import Workflow

/// What `robust train` asks for: an architecture, data, a recipe and where to write the result.
public struct TrainRequest: Sendable {
    public var architecture: String
    public var dataset: String
    public var dataDirectory: String?
    public var samples: Int?
    public var config: TrainConfig
    /// Output path, with or without `.safetensors`: see `checkpointPath`.
    public var out: String

    /// Where the weights go: `out`, with `.safetensors` added when it lacks it (the card goes beside
    /// them, `ModelCard.path(forCheckpoint:)`).
    public var checkpointPath: String { out.hasSuffix(".safetensors") ? out : out + ".safetensors" }

    public init(architecture: String, dataset: String, dataDirectory: String?, samples: Int?, config: TrainConfig, out: String) {
        (self.architecture, self.dataset, self.dataDirectory, self.samples, self.config, self.out) =
            (architecture, dataset, dataDirectory, samples, config, out)
    }
}

/// Trains a fresh zoo model, measures it on the whole test split, and writes the checkpoint
/// with a model card that records the recipe, the seed and the clean test accuracy.
///
/// `note` receives one-line messages that do not stop the run: the σ a target ε gave, and warnings
/// (`warning: ` first) such as a δ at or above 1 / training samples.
public func trainModel(_ request: TrainRequest, context: ExecutionContext, progress: ((TrainEvent) -> Void)? = nil,
                       note: ((String) -> Void)? = nil) throws -> (ModelCard, TrainReport) {
    let trainSet = try DatasetCatalog.load(request.dataset, directory: request.dataDirectory, split: .train)
    let testSet = try DatasetCatalog.load(request.dataset, directory: request.dataDirectory, split: .test)
    let trainIndices = try DatasetCatalog.select(trainSet, samples: request.samples, indicesFile: nil)
    let testIndices = Array(0..<testSet.count)
    let model: Model
    do {
        model = try Model(architecture: request.architecture, dataset: request.dataset,
                          inputShape: InputShape(channels: trainSet.channels, height: trainSet.height, width: trainSet.width),
                          classNames: trainSet.classNames, seed: request.config.seed)
    } catch let error as ModelError {
        throw ToolError.usage("\(error)")
    }
    if request.config.adversarial?.method == .ibp {
        let unsupported = IntervalTraining.unsupportedLayers(in: model.network)
        guard unsupported.isEmpty else {
            throw ToolError.usage("--adv ibp: \(request.architecture) has layers interval training does not go through "
                                  + "(\(unsupported.joined(separator: ", "))); use --model cnn or mlp")
        }
    }
    var config = request.config
    if let privacy = config.privacy {
        config.privacy = try privateTraining(privacy, architecture: request.architecture, network: model.network,
                                             config: config, trainCount: trainIndices.count, note: note)
    }
    let report = train(network: model.network, train: trainSet, trainIndices: trainIndices, evalSet: testSet,
                       evalIndices: testIndices, config: config, context: context, replicate: model.replicaNetwork,
                       progress: progress)
    let accuracy = report.epochs.last?.evalAccuracy
    // The config as JSON is the exact recipe (what `robust train` needs to reproduce the run);
    // the few fields a reader looks for first are repeated at the top level.
    let c = config
    var recipe: [String: RecipeValue] = [
        "epochs": .number(Double(c.epochs)),
        "batch_size": .number(Double(c.batchSize)),
        "seed": .number(Double(c.seed)),
        "learning_rate": .number(shortest(c.schedule.base)),
        "weight_decay": .number(shortest(c.weightDecay)),
        "train_samples": .number(Double(trainIndices.count)),
        "train_seconds": .number((report.seconds * 10).rounded() / 10),
    ]
    if let adv = c.adversarial {
        recipe["adversarial"] = .string(adv.method.rawValue)
        recipe["adversarial_eps"] = .number(shortest(adv.eps))
        if adv.method != .ibp { recipe["adversarial_steps"] = .number(Double(adv.steps)) }  // ibp bounds, it takes no steps
        if let robust = report.epochs.last?.evalRobustAccuracy { recipe["pgd10_accuracy_first500_test"] = .number(robust) }
        if let certified = report.epochs.last?.evalCertifiedAccuracy { recipe["ibp_certified_accuracy_first500_test"] = .number(certified) }
        if adv.method == .ibp { recipe["ibp_final_bound_weight"] = .number(shortest(adv.mix)) }
        if let collapse = catastrophicOverfitting(report) { recipe["catastrophic_overfitting"] = .string(collapse) }
    }
    if let privacy = c.privacy {
        // The guarantee, as a reader of the card looks for it: (ε, δ) after every step taken, and how.
        let q = DifferentialPrivacy.sampleRate(batchSize: c.batchSize, trainCount: trainIndices.count)
        recipe["dp_epsilon"] = report.epochs.last?.dpEpsilon.map { .number($0) }
        recipe["dp_delta"] = .number(privacy.delta)
        recipe["dp_noise_multiplier"] = .number(privacy.noiseMultiplier)
        recipe["dp_max_grad_norm"] = .number(shortest(privacy.maxGradNorm))
        recipe["dp_sample_rate"] = .number(q)
        recipe["dp_steps"] = .number(Double(c.epochs * DifferentialPrivacy.stepsPerEpoch(sampleRate: q)))
        recipe["dp_accountant"] = .string(DifferentialPrivacy.accountantName)
        if let target = privacy.targetEpsilon { recipe["dp_target_epsilon"] = .number(target) }
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    if let data = try? encoder.encode(c), let json = String(data: data, encoding: .utf8) {
        recipe["config"] = .string(json)
    }
    let path = request.checkpointPath
    let directory = parentDirectory(of: path)
    if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
    do {
        let card = try model.save(to: path, trainingRecipe: recipe, cleanTestAccuracy: accuracy, toolVersion: toolVersion)
        return (card, report)
    } catch {
        throw ToolError.badInput("\(error)")
    }
}

/// Checks a DP-SGD request against the model and data (usage errors, one line each) and returns it with σ
/// calibrated when a target ε was given.
private func privateTraining(_ privacy: DifferentialPrivacy, architecture: String, network: any Layer, config: TrainConfig,
                             trainCount: Int, note: ((String) -> Void)?) throws -> DifferentialPrivacy {
    do {
        _ = try PerSampleGradients(network)
    } catch {
        throw ToolError.usage("--dp: \(architecture): \(error); use --model cnn or mlp")
    }
    guard config.batchSize <= trainCount else {
        throw ToolError.usage("--dp: --batch-size \(config.batchSize) is above the \(trainCount) training samples; "
                              + "the sample rate batch size / samples must be at most 1")
    }
    if privacy.delta >= 1 / Double(trainCount) {
        note?("warning: --delta \(privacy.delta) is not below 1 / \(trainCount) training samples: a mechanism that publishes "
                 + "one sample outright meets it; use a smaller --delta (e.g. 1e-5)")
    }
    let calibrated: DifferentialPrivacy
    do {
        calibrated = try privacy.calibrated(trainCount: trainCount, batchSize: config.batchSize, epochs: config.epochs)
    } catch {
        throw ToolError.usage("--target-epsilon: \(error)")
    }
    if let target = privacy.targetEpsilon {
        let q = DifferentialPrivacy.sampleRate(batchSize: config.batchSize, trainCount: trainCount)
        note?("DP-SGD: noise multiplier \(calibrated.noiseMultiplier) spends epsilon \(target) at delta \(privacy.delta) in "
              + "\(config.epochs) epochs of \(DifferentialPrivacy.stepsPerEpoch(sampleRate: q)) steps (sample rate \(q))")
    }
    return calibrated
}

/// A Float widened to the Double with the same shortest decimal form (5e-4, not 0.000500000023...).
private func shortest(_ x: Float) -> Double { Double("\(x)") ?? Double(x) }

/// Catastrophic overfitting (Wong et al. 2020): PGD accuracy during adversarial training collapsing
/// (by more than 20 points from its best epoch) while training goes on. A description, or nil.
public func catastrophicOverfitting(_ report: TrainReport) -> String? {
    let robust = report.epochs.compactMap { e in e.evalRobustAccuracy.map { (e.epoch, $0) } }
    guard let best = robust.max(by: { $0.1 < $1.1 }), let last = robust.last, best.1 - last.1 > 0.2 else { return nil }
    return "PGD-10 accuracy fell from \(Int((best.1 * 100).rounded())) % (epoch \(best.0 + 1)) to \(Int((last.1 * 100).rounded())) % (epoch \(last.0 + 1))"
}
