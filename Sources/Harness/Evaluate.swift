import Attacks
import Datasets
import Foundation
import Kernels
import Metrics
import Models
import Reports

/// `robust eval` as a function: loads the model and data, checks they fit, runs every attack,
/// the validity checks and the worst case, and returns the run's `RunResults`.
/// Errors are `ToolError`s: usage (exit 2) for bad names and options, bad input (exit 3) for files and shapes.
public func runEvaluation(_ request: EvalRequest, progress: Bool = true) throws -> RunResults {
    let started = Date()
    let savedThreads = Parallel.defaultThreads
    Parallel.defaultThreads = request.threads
    defer { Parallel.defaultThreads = savedThreads }

    let attacks = try request.attacks.map { spec -> any Attack in
        do { return try AttackRegistry.make(spec.attack, options: spec.options) } catch let error as AttackError {
            throw ToolError.usage("\(error)")
        }
    }
    let dataset = try DatasetCatalog.load(request.dataset, directory: request.dataDirectory, split: .test)
    let indices = try DatasetCatalog.select(dataset, samples: request.samples, indicesFile: request.indicesFile)
    let (model, modelInfo) = try loadModel(request, for: dataset)
    guard model.classes >= 2 else {
        throw ToolError.badInput("model \(request.model) has \(model.classes) class; attacks need at least 2 classes")
    }
    for spec in request.attacks {
        if case .fixed(let target) = spec.options.target, target >= model.classes {
            throw ToolError.usage("--target \(target) for '\(spec.id)' is not a class of \(request.model) (classes 0..<\(model.classes): \(dataset.classNames.joined(separator: ", ")))")
        }
    }
    for (spec, attack) in zip(request.attacks, attacks) where (spec.options.norm ?? type(of: attack).defaultNorm) == .l2 {
        let diameter = Double(dataset.sampleSize).squareRoot()
        if let eps = spec.epsilons.last, eps > diameter {
            throw ToolError.usage("L2 epsilon \(eps) for '\(spec.id)' exceeds the diameter of the image box (\(String(format: "%.1f", diameter))); use a smaller ε")
        }
    }

    let classifier = model.makeClassifier()
    return try evaluate(classifier: classifier, dataset: dataset, indices: indices, request: request, model: modelInfo,
                        attacks: attacks, progress: progress, started: started)
}

/// The evaluation proper, for any `Classifier` (a zoo model, or a wrapped one in tests): clean
/// pass, every attack, worst case, validity checks. `attacks` are built from `request.attacks`.
public func evaluate(classifier: any Classifier, dataset: Dataset, indices: [Int], request: EvalRequest, model modelInfo: ModelInfo,
                     attacks: [any Attack], progress: Bool = false, started: Date = Date()) throws -> RunResults {
    let totalSteps = request.attacks.reduce(0) { $0 + $1.epsilons.count }
    let evaluation = AttackEvaluation(classifier: classifier, dataset: dataset,
                                indices: indices, batchSize: request.batchSize, seed: request.seed, reuse: request.reuse,
                                prune: request.prune, examplesPerAttack: request.examplesPerAttack,
                                progress: progress ? EvalProgress(totalSteps: totalSteps) : nil)
    let clean = evaluation.cleanPass()
    let labels = indices.map { dataset.labels[$0] }
    let cleanResult = CleanResult(n: indices.count, correct: zip(clean.predictions, labels).filter { $0 == $1 }.count)

    var runs: [AttackRun] = [], curve: [CurvePoint] = [], samples: [SampleRecord] = [], examples: [Example] = []
    var violations = 0
    for (spec, attack) in zip(request.attacks, attacks) {
        let outcome = evaluation.run(spec, attack: attack, clean: clean)
        runs.append(outcome.run)
        curve += outcome.points
        samples += outcome.records
        examples += outcome.examples
        violations += outcome.boundViolations
    }
    curve += CurvePoint.worstCase(samples: samples)

    var observed = ValidityChecks.Observations(
        deterministic: clean.deterministic, gradientSamples: evaluation.monitor.gradientSamples,
        zeroGradientSamples: evaluation.monitor.zeroGradientSamples, nonFiniteLogits: evaluation.monitor.nonFiniteLogits,
        nonFiniteGradients: evaluation.monitor.nonFiniteGradients, boundViolations: violations)
    if request.extraChecks {
        let extra = ExtraChecks(evaluation: evaluation, clean: clean, classes: classifier.classes)
        observed.largeEps = extra.largeEpsilon()
        observed.convergence = extra.convergence(request.attacks, outcomes: samples)
    }
    evaluation.progress?.finish()
    let checks = ValidityChecks.run(curve: curve, clean: cleanResult, attacks: runs, observed: observed)

    let datasetInfo = DatasetInfo(name: dataset.name, split: "test", directory: request.dataDirectory ?? "(default location)",
                                  classNames: dataset.classNames, channels: dataset.channels, height: dataset.height,
                                  width: dataset.width, indices: indices)
    return RunResults(toolVersion: toolVersion, created: ISO8601DateFormatter().string(from: started),
                      seconds: Date().timeIntervalSince(started), model: modelInfo, dataset: datasetInfo, seed: request.seed,
                      threads: request.threads, batchSize: request.batchSize, clean: cleanResult, attacks: runs, curve: curve,
                      samples: samples, examples: examples, checks: checks)
}

/// Loads the model (zoo checkpoint or ONNX file) and checks that it fits the dataset (channels, size, classes).
private func loadModel(_ request: EvalRequest, for dataset: Dataset) throws -> (LoadedModel, ModelInfo) {
    let model = try loadModel(request.model, dataset: request.dataset, modelsDirectory: request.modelsDirectory,
                              conventions: request.conventions)
    let shape = model.inputShape
    guard shape.channels == dataset.channels, shape.height == dataset.height, shape.width == dataset.width else {
        throw ToolError.badInput("model \(request.model) takes \(shape.channels)x\(shape.height)x\(shape.width) images but \(dataset.name) has \(dataset.channels)x\(dataset.height)x\(dataset.width); pick a model for this dataset (see `robust models`) or a dataset of the model's image size")
    }
    guard model.classes == dataset.classNames.count else {
        throw ToolError.badInput("model \(request.model) has \(model.classes) classes but \(dataset.name) has \(dataset.classNames.count); pick a model trained on this dataset (see `robust models`)")
    }
    let info = ModelInfo(name: request.model, path: model.path, architecture: model.architecture, sha256: model.sha256,
                         parameters: model.parameters, cardCleanAccuracy: model.cardCleanAccuracy, format: model.format,
                         opset: model.onnx?.opset, producer: model.onnx?.producer, opHistogram: model.onnx?.opHistogram,
                         notes: model.notes.isEmpty ? nil : model.notes)
    return (model, info)
}

/// `LoadedModel.load` with its errors as `ToolError`s: unknown names usage (exit 2), bad files bad input (exit 3).
public func loadModel(_ reference: String, dataset: String, modelsDirectory: String,
                      conventions: InputConventions = InputConventions()) throws -> LoadedModel {
    do {
        return try LoadedModel.load(reference, dataset: dataset, modelsDirectory: modelsDirectory, conventions: conventions)
    } catch let error as ModelError {
        throw ToolError.usage(error.message)
    } catch {
        throw ToolError.badInput("\(error)")
    }
}

/// Writes results.json into `directory` (created if needed), atomically.
public func writeResults(_ results: RunResults, to directory: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try writeAtomically(try results.jsonData(), to: (directory as NSString).appendingPathComponent("results.json"))
    } catch {
        throw ToolError.badInput("cannot write to \(directory): \(error.localizedDescription); pick another --out")
    }
}

/// Writes a run folder: results.json, then the files rendered from it (index.html, curve.csv, samples.csv).
public func writeRun(_ results: RunResults, to directory: String) throws {
    try writeResults(results, to: directory)
    do { try writeRunReport(results, to: directory) } catch {
        throw ToolError.badInput("cannot write the report in \(directory): \(error.localizedDescription); pick another --out")
    }
}
