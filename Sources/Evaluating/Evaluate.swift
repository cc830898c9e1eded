import Attacks
import Certify
import Datasets
import Files
import Foundation
import Metrics
import Models
import Reports
import Workflow

/// `robust eval` as a function: loads the model and data, checks they fit, runs every attack,
/// the validity checks and the worst case, and returns the run's `RunResults`.
/// Errors are `ToolError`s: usage (exit 2) for bad names and options, bad input (exit 3) for files and shapes.
public func runEvaluation(_ request: EvalRequest, context: ExecutionContext, progress: Bool = true) throws -> RunResults {
    let started = Date()

    let attacks = try request.attacks.map { spec -> any Attack in
        do { return try AttackRegistry.make(spec.attack, options: spec.options) } catch let error as AttackError {
            throw ToolError.usage("\(error)")
        }
    }
    let dataset = try DatasetCatalog.load(request.dataset, directory: request.dataDirectory, split: .test)
    let selection = try DatasetCatalog.select(dataset, samples: request.samples, indicesFile: request.indicesFile)
    let shard = try request.shard.map { try $0.info(selection: selection, examplesPerAttack: request.examplesPerAttack) }
    let indices = shard.map { Array(selection[ShardInfo.positions(index: $0.index, count: $0.count, total: selection.count)]) } ?? selection
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

    var certification: CertificationRun?
    if !request.certify.isEmpty {
        let methods = try parseBoundMethods(request.certify.joined(separator: ",")).compactMap(BoundMethod.init(rawValue:))
        let grid = request.certificationGrid
            ?? Set(zip(request.attacks, attacks).filter { ($0.options.norm ?? type(of: $1).defaultNorm) == .linf }.flatMap(\.0.epsilons)).sorted()
        guard !grid.isEmpty else {
            throw ToolError.usage("--certify bounds L∞ balls, and no attack of this run is L∞; add one (e.g. --attack pgd) to give the ε grid")
        }
        certification = try certifySelection(network: model.makeNetwork(), dataset: dataset, indices: indices, epsilons: grid,
                                             methods: methods, batchSize: request.batchSize, context: context, progress: progress)
    }
    let classifier = model.makeClassifier(context: context)
    return try evaluate(classifier: classifier, dataset: dataset, indices: indices, request: request, model: modelInfo,
                        attacks: attacks, threads: context.threads, shard: shard, certification: certification,
                        progress: progress, started: started)
}

/// The evaluation proper, for any `Classifier` (a zoo model, or a wrapped one in tests): clean
/// pass, every attack, worst case, validity checks. `attacks` are built from `request.attacks`;
/// `threads` is the classifier context's, recorded in the results.
public func evaluate(classifier: any Classifier, dataset: Dataset, indices: [Int], request: EvalRequest, model modelInfo: ModelInfo,
                     attacks: [any Attack], threads: Int, shard: ShardInfo? = nil, certification: CertificationRun? = nil, progress: Bool = false, started: Date = Date()) throws -> RunResults {
    // The extra checks are two more attack runs of one ε each (large ε, convergence): counted, so the
    // progress line ends at 100 % and its ETA covers them.
    let totalSteps = request.attacks.reduce(0) { $0 + $1.epsilons.count } + (request.extraChecks ? 2 : 0)
    var evaluation = AttackEvaluation(classifier: classifier, dataset: dataset,
                                indices: indices, batchSize: request.batchSize, seed: request.seed, reuse: request.reuse,
                                prune: request.prune, examplesPerAttack: request.examplesPerAttack,
                                progress: progress ? EvalProgress(totalSteps: totalSteps) : nil)
    if let folder = request.runFolder {
        let configuration = JournalConfiguration(request: request, model: modelInfo, indices: indices, shard: shard)
        evaluation.journal = try RunJournal(folder: folder, configuration: configuration.digest, resume: request.resume)
        if request.resume, let journal = evaluation.journal, journal.resumedCount > 0, progress {
            FileHandle.standardError.write(Data("resuming: \(journal.resumedCount) finished batches read from \(journal.path)\n".utf8))
        }
    }
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
    curve += certification?.curvePoints(cleanAccuracy: cleanResult.accuracy) ?? []

    var observed = RunObservations(
        deterministic: clean.deterministic, gradientSamples: evaluation.monitor.gradientSamples,
        zeroGradientSamples: evaluation.monitor.zeroGradientSamples, nonFiniteLogits: evaluation.monitor.nonFiniteLogits,
        nonFiniteGradients: evaluation.monitor.nonFiniteGradients, boundViolations: violations)
    if request.extraChecks {
        let extra = ExtraChecks(evaluation: evaluation, clean: clean, classes: classifier.classes, firstPosition: shard?.firstPosition ?? 0)
        observed.largeEps = extra.largeEpsilon()
        observed.convergence = extra.convergence(request.attacks, outcomes: samples)
    }
    evaluation.progress?.finish()
    let correct = Set(zip(indices, zip(clean.predictions, labels)).filter { $0.1.0 == $0.1.1 }.map(\.0))
    let checks = ValidityChecks.run(curve: curve, clean: cleanResult, attacks: runs, observed: observed,
                                    samples: samples, certification: certification, correctlyClassified: correct)

    let datasetInfo = DatasetInfo(name: dataset.name, split: "test", directory: request.dataDirectory ?? "(default location)",
                                  classNames: dataset.classNames, channels: dataset.channels, height: dataset.height,
                                  width: dataset.width, indices: indices)
    return RunResults(toolVersion: toolVersion, created: ISO8601DateFormatter().string(from: started),
                      seconds: Date().timeIntervalSince(started), model: modelInfo, dataset: datasetInfo, seed: request.seed,
                      threads: threads, batchSize: request.batchSize, clean: cleanResult, attacks: runs, curve: curve,
                      samples: samples, examples: examples, checks: checks, observations: observed, shard: shard,
                      certification: certification)
}

/// Everything a run's records depend on: a journal written under one configuration is refused by another.
/// (Threads are left out: they change no bit.)
struct JournalConfiguration: Codable {
    var tool: String, model: String, dataset: String, indices: String, seed: UInt64
    var attacks: [String], batchSize: Int, reuse: Bool, prune: Bool, extraChecks: Bool, examples: Int, shard: String

    init(request: EvalRequest, model: ModelInfo, indices: [Int], shard: ShardInfo?) {
        tool = toolVersion
        self.model = model.sha256
        dataset = "\(request.dataset) \(request.dataDirectory ?? "")"
        self.indices = selectionDigest(indices)
        seed = request.seed
        attacks = request.attacks.map { "\($0.id) \($0.attack) \($0.options) \($0.epsilons)" }
        batchSize = request.batchSize
        (reuse, prune, extraChecks, examples) = (request.reuse, request.prune, request.extraChecks, request.examplesPerAttack)
        self.shard = shard.map { "\($0.index)/\($0.count)" } ?? "whole"
    }

    var digest: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return sha256Hex((try? encoder.encode(self)) ?? Data())
    }
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

/// Checks, before any work, that the run folder can be written: a full evaluation that then cannot
/// save its results is work lost. Creates nothing (a run that fails on its model or data leaves no
/// folder behind): an existing folder must take a file, a new one needs a writable parent.
public func prepareRunFolder(_ directory: String) throws {
    guard !directory.isEmpty else { throw ToolError.usage("--out is empty; give the folder to write the run to") }
    let fileManager = FileManager.default
    var isDirectory: ObjCBool = false
    if fileManager.fileExists(atPath: directory, isDirectory: &isDirectory) {
        guard isDirectory.boolValue else { throw ToolError.badInput("--out \(directory) is a file, not a folder; pick another --out") }
        let probe = (directory as NSString).appendingPathComponent(".robust-write-check")
        guard fileManager.createFile(atPath: probe, contents: Data()) else {
            throw ToolError.badInput("cannot write to --out \(directory) (permission denied?); pick a folder you can write")
        }
        try? fileManager.removeItem(atPath: probe)
        return
    }
    // The nearest existing ancestor must be a folder this process can write into.
    var ancestor = parentDirectory(of: directory)
    if ancestor.isEmpty { ancestor = "." }
    while !fileManager.fileExists(atPath: ancestor, isDirectory: &isDirectory) {
        let parent = parentDirectory(of: ancestor)
        ancestor = parent.isEmpty ? "." : parent
    }
    guard isDirectory.boolValue else { throw ToolError.badInput("--out \(directory): \(ancestor) is a file, not a folder; pick another --out") }
    guard fileManager.isWritableFile(atPath: ancestor) else {
        throw ToolError.badInput("cannot create --out \(directory): \(ancestor) is not writable; pick a folder you can write")
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
