import ArgumentParser
import Foundation
import Harness

/// `robust eval`: robustness-accuracy curves of a model under attack.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Attack a model over an epsilon grid and write the robustness-accuracy curve (results.json, CSV, HTML).",
        discussion: """
        With only --attack pgd it evaluates the shipped cnn on the whole Fashion-MNIST test set over the \
        default L-inf grid 0,0.025,0.05,0.1,0.15,0.2,0.3 and prints the curve. Epsilons are in pixel units \
        (images in [0, 1]): lists (0,0.05,0.1), ranges (0:0.3:0.05) or fractions (8/255).

        A sample fooled at one epsilon stays fooled at larger ones (its example lies in every larger ball), \
        so it is not attacked again; --independent attacks every epsilon from scratch. Every sample draws its \
        randomness from (--seed, its index), so results do not depend on --batch-size or --threads.

        Examples:
          robust eval --attack pgd
          robust eval --attack fgsm --attack pgd --eps 0:0.2:0.05 --samples 1000
          robust eval --attack pgd --norm l2 --eps 0,0.5,1,2 --steps 20 --restarts 2
          robust eval --suite attacks/standard-linf.yaml --samples 1000 --out reports/cnn-aa
          robust eval --model resnet-lite --attack apgd-ce --eps 8/255
          robust eval --model my_model.onnx --dataset cifar10 --data cifar-10-batches-bin --attack pgd --eps 8/255

        Writes <out>/results.json (the source of truth), curve.csv, samples.csv and index.html.
        """
    )

    @Option(help: "Model: an architecture (cnn, mlp, resnet-lite: the shipped checkpoint for the dataset), a checkpoint name in --models-dir, a .safetensors path, or your own model as a .onnx file.")
    var model = "cnn"

    @Option(help: "ONNX models trained on other pixel ranges: the graph receives pixels x in [0,1] times this (255 for 0-255 inputs).")
    var inputScale: Float?

    @Option(help: "ONNX models without normalisation in the graph: per-channel mean subtracted after --input-scale (one value, or one per channel, comma-separated).")
    var mean: String?

    @Option(help: "ONNX models without normalisation in the graph: per-channel std divided by after --mean.")
    var std: String?

    @Option(help: "Folder of shipped checkpoints.")
    var modelsDir = "models"

    @Option(help: "Dataset: fashion-mnist (default), mnist, cifar10, imagefolder. The test split is evaluated.")
    var dataset = "fashion-mnist"

    @Option(help: "Folder with the dataset's files (required for cifar10 and imagefolder).")
    var data: String?

    @Option(help: "Attack to run (repeatable). See `robust attacks`.")
    var attack: [String] = []

    @Option(help: "Attack suite file (YAML), e.g. attacks/quick.yaml; instead of --attack.")
    var suite: String?

    @Option(help: "Threat model norm: linf or l2 (default: the attack's first norm).")
    var norm: String?

    @Option(help: "Epsilon grid: list, range start:stop:step, or fractions like 8/255.")
    var eps: String?

    @Option(help: "Gradient steps (iterative attacks).")
    var steps: Int?

    @Option(help: "Step size in pixel units (default: derived from epsilon).")
    var stepSize: String?

    @Option(help: "Random restarts; each sample keeps its worst case.")
    var restarts: Int?

    @Option(help: "Targeted mode for gradient attacks: random, least-likely or a class index.")
    var target: String?

    @Option(help: "Query budget per sample (square).")
    var queries: Int?

    @Option(help: "Momentum decay (mifgsm).")
    var momentum: Double?

    @Option(help: "Initial fraction of pixels a square changes (square).")
    var pInit: Double?

    @Option(help: "Most likely wrong classes tried as targets (apgd-t).")
    var targetClasses: Int?

    @Option(help: "Random draws per sample, worst kept (noise baselines).")
    var draws: Int?

    @Flag(help: "Start PGD at the clean image instead of a random point in the ball.")
    var noRandomStart = false

    @Option(help: "Evaluate the first N test samples.")
    var samples: Int?

    @Option(help: "Evaluate the samples whose indices are listed in FILE (one per line or comma-separated).")
    var indices: String?

    @Option(help: "Samples per batch (results do not depend on it; 128 keeps a cnn run under 200 MiB).")
    var batchSize = 128

    @Option(help: "Threads (results do not depend on it).")
    var threads = ExecutionContext.availableCores

    @Option(help: "Run seed: every sample's randomness derives from it and the sample's index.")
    var seed: UInt64 = 0

    @Flag(help: "Attack every epsilon from scratch instead of reusing examples found at smaller ones.")
    var independent = false

    @Flag(help: "Skip the extra validity checks that need their own attack runs (large ε, convergence).")
    var noExtraChecks = false

    @Option(help: "Output folder (default reports/<model>-<attack>-<time>/).")
    var out: String?

    @Flag(help: "Continue the run journaled in --out (killed, or restarted by a scheduler) instead of starting afresh; the flags must be the original ones.")
    var resume = false

    @Option(help: ArgumentHelp("Evaluate shard I of N (0-based): a contiguous block of the selected samples; `robust merge` joins the shards.", valueName: "I/N"))
    var shard: String?

    @Option(help: "Shard count when the shard index comes from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) or a Slurm array (default: SLURM_ARRAY_TASK_COUNT).")
    var shards: Int?

    @Option(help: ArgumentHelp("Also compute certified lower bounds at every ε of the L∞ attacks: ibp, crown, or ibp,crown (each sample keeps the tighter). The attacks give an upper bound on robust accuracy, these a lower one; the curve gains a `certified` series and `robust gate` accepts certified@EPS>=X.", valueName: "methods"))
    var certify: String?

    func validate() throws {
        guard batchSize > 0, threads > 0 else { throw ValidationError("--batch-size and --threads must be positive") }
        if suite == nil && attack.isEmpty { throw ValidationError("give --attack NAME (e.g. --attack pgd) or --suite FILE; `robust attacks` lists the attacks") }
        if suite != nil && !attack.isEmpty { throw ValidationError("give either --attack or --suite, not both") }
        if let norm, Norm(rawValue: norm) == nil { throw ValidationError("--norm must be linf or l2 (got '\(norm)')") }
        if let target, TargetMode(target) == nil { throw ValidationError("--target must be random, least-likely or a class index (got '\(target)')") }
        if let samples, samples <= 0 { throw ValidationError("--samples must be positive (got \(samples))") }
        if let stepSize, !((Epsilon.parse(stepSize) ?? -1) > 0) { throw ValidationError("--step-size must be a positive number (got '\(stepSize)')") }
        if let inputScale, !(inputScale > 0 && inputScale.isFinite) { throw ValidationError("--input-scale must be a positive number (got \(inputScale))") }
        _ = try conventions()
        if let shards, shards < 1 { throw ValidationError("--shards must be at least 1 (got \(shards))") }
        if resume, out == nil { throw ValidationError("--resume needs the --out folder of the run to continue") }
        if shard != nil, shards != nil { throw ValidationError("give --shard I/N or --shards N (with the index from the environment), not both") }
        if let certify { _ = try parseBoundMethods(certify) }
    }

    /// `--shard`, else the batch system's environment (with `--shards`), else nil.
    func shardRequest() throws -> ShardRequest? {
        if let shard { return try ShardRequest.parse(shard) }
        return try ShardRequest.fromEnvironment(ProcessInfo.processInfo.environment, shards: shards)
    }

    /// --input-scale, --mean and --std as the model loader takes them.
    func conventions() throws -> InputConventions {
        func list(_ text: String?, _ flag: String) throws -> [Float]? {
            guard let text else { return nil }
            let values = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                throw ValidationError("\(flag) must be one number or comma-separated numbers, one per channel (got '\(text)')")
            }
            return values.map { $0! }
        }
        return InputConventions(scale: inputScale ?? 1, mean: try list(mean, "--mean"), std: try list(std, "--std"))
    }

    func run() throws {
        let specs = try attackSpecs()
        let shardRequest = try shardRequest()
        let folder = out ?? defaultOutput(specs, shard: shardRequest)
        try prepareRunFolder(folder)
        let request = EvalRequest(model: model, modelsDirectory: modelsDir, dataset: dataset, dataDirectory: data, samples: samples,
                                  indicesFile: indices, attacks: specs, batchSize: batchSize, seed: seed,
                                  reuse: !independent, extraChecks: !noExtraChecks, conventions: try conventions(),
                                  shard: shardRequest, runFolder: folder, resume: resume,
                                  certify: try certify.map { try parseBoundMethods($0) } ?? [])
        let results = try runEvaluation(request, context: ExecutionContext(threads: threads))
        try writeRun(results, to: folder)
        print(CurveTable.render(results))
        print("wrote \(folder)/results.json, curve.csv, samples.csv and index.html (\(String(format: "%.1f", results.seconds)) s)")
    }

    private func attackSpecs() throws -> [AttackSpec] {
        let normValue = norm.flatMap(Norm.init(rawValue:))
        var grid: [Double]?
        if let eps {
            do { grid = try Epsilon.parseGrid(eps, maximum: normValue == .l2 ? 1000 : 1) } catch let error as EpsilonError {
                throw ToolError.usage("--eps: \(error.description)")
            }
        }
        let step = stepSize.flatMap(Epsilon.parse)
        let flags = AttackOptions(norm: normValue, steps: steps, stepSize: step, restarts: restarts,
                                  randomStart: noRandomStart ? false : nil, momentum: momentum, queries: queries,
                                  pInit: pInit, targetClasses: targetClasses, draws: draws,
                                  target: target.flatMap(TargetMode.init) ?? .none)
        var specs: [AttackSpec]
        if let suite {
            specs = try Suite.load(path: suite).attacks.map { $0.applying(flags: flags, grid: grid) }
        } else {
            specs = try attack.map { name -> AttackSpec in
                guard let type = AttackRegistry.named(name) else {
                    throw ToolError.usage("unknown attack '\(name)'; known attacks: \(AttackRegistry.names.joined(separator: ", ")) (see `robust attacks`)")
                }
                let resolvedNorm = normValue ?? type.defaultNorm
                let epsilons = grid ?? (resolvedNorm == .l2 ? EvalRequest.defaultL2Grid : EvalRequest.defaultLinfGrid)
                return AttackSpec(id: name, attack: name, options: AttackOptions(), epsilons: epsilons).applying(flags: flags, grid: nil)
            }
        }
        try checkEveryFlagIsUsed(flags, by: specs, what: suite ?? "--attack")
        // Only a suite has values of its own for flags to override; results.json records which.
        if suite == nil { specs = specs.map { var spec = $0; spec.overriddenByFlags = []; return spec } }
        return uniqueIDs(specs)
    }

    /// Precedence: a flag sets its option for every attack (of the suite, or given with --attack) that
    /// takes it, over the suite's value; a flag that none of them takes is a usage error, never dropped.
    private func checkEveryFlagIsUsed(_ flags: AttackOptions, by specs: [AttackSpec], what: String) throws {
        for name in flags.setNames where !specs.contains(where: { $0.overriddenByFlags.contains(name) }) {
            if specs.count == 1 {
                do { _ = try AttackRegistry.make(specs[0].attack, options: flags) } catch let error as AttackError {
                    throw ToolError.usage("\(error)")
                }
            }
            throw ToolError.usage("\(optionFlag(name)) is used by none of the attacks in \(what) (\(specs.map(\.attack).joined(separator: ", "))); drop it" + (what == "--attack" ? "" : " or edit the suite"))
        }
    }

    private func defaultOutput(_ specs: [AttackSpec], shard: ShardRequest?) -> String {
        let what = suite.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? specs.map(\.id).joined(separator: "+")
        let part = shard.map { "-shard-\($0.index)-of-\($0.count)" } ?? ""
        return defaultRunFolder(model: model, what: what) + part
    }
}
