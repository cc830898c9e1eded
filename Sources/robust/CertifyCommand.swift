import ArgumentParser
import Foundation
import Harness

/// `robust certify`: certified robust accuracy alone, no attacks (the lower bound of `robust eval --certify`).
struct CertifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certify",
        abstract: "Prove which test images no L-inf perturbation of size eps can misclassify, and write the certified accuracy curve.",
        discussion: """
        A sample is certified at eps when sound bounds on the network over the L-inf ball of radius eps (clipped to \
        [0, 1]) show the label's logit above every other one: no attack, however strong, can fool it there. The \
        certified accuracy is a lower bound on robust accuracy; an attack's accuracy is an upper bound. `robust eval \
        --certify` computes both in one run and checks that no certified sample was fooled.

        Methods: ibp (interval bounds, fast, tight on networks trained with `robust train --adv ibp`), crown (linear \
        relaxation, tighter on normally trained networks, about 10-50x slower), or ibp,crown: each sample keeps \
        the tighter bound. Float rounding is accounted for, so a certificate holds for the real-valued network.

        Examples:
          robust certify --model cnn-fmnist-ibp --eps 0.1
          robust certify --model cnn-fmnist-pgd --eps 0.01,0.02,0.05 --method ibp,crown --samples 1000
          robust gate reports/certify --require 'certified@0.1>=0.6'

        Writes <out>/results.json, curve.csv and index.html; `robust gate` reads them like an eval's.
        """
    )

    @Option(help: "Model: an architecture (cnn, mlp, resnet-lite), a checkpoint name in --models-dir (e.g. cnn-fmnist-ibp), a .safetensors path, or a .onnx file built from supported layers.")
    var model = "cnn"

    @Option(help: "Folder of shipped checkpoints.")
    var modelsDir = "models"

    @Option(help: "Dataset: fashion-mnist (default), mnist, cifar10, imagefolder. The test split is certified.")
    var dataset = "fashion-mnist"

    @Option(help: "Folder with the dataset's files (required for cifar10 and imagefolder).")
    var data: String?

    @Option(help: "Epsilon grid (L-inf, pixel units): list, range start:stop:step, or fractions like 8/255.")
    var eps = "0,0.025,0.05,0.1,0.15,0.2,0.3"

    @Option(help: ArgumentHelp("Bound methods: ibp, crown, or ibp,crown.", valueName: "methods"))
    var method = "ibp"

    @Option(help: "Certify the first N test samples.")
    var samples: Int?

    @Option(help: "Certify the samples whose indices are listed in FILE (one per line or comma-separated).")
    var indices: String?

    @Option(help: "Samples per batch (results do not depend on it).")
    var batchSize = 128

    @Option(help: "Threads (results do not depend on it).")
    var threads = ExecutionContext.availableCores

    @Option(help: "Output folder (default reports/<model>-certify-<time>/).")
    var out: String?

    func validate() throws {
        guard batchSize > 0, threads > 0 else { throw ValidationError("--batch-size and --threads must be positive") }
        if let samples, samples <= 0 { throw ValidationError("--samples must be positive (got \(samples))") }
        _ = try parseBoundMethods(method, flag: "--method")
    }

    func run() throws {
        let grid: [Double]
        do { grid = try Epsilon.parseGrid(eps, maximum: 1) } catch let error as EpsilonError {
            throw ToolError.usage("--eps: \(error.description)")
        }
        let folder = out ?? defaultRunFolder(model: model, what: "certify")
        try prepareRunFolder(folder)
        let request = EvalRequest(model: model, modelsDirectory: modelsDir, dataset: dataset, dataDirectory: data, samples: samples,
                                  indicesFile: indices, attacks: [], batchSize: batchSize, extraChecks: false,
                                  certify: try parseBoundMethods(method, flag: "--method"), certificationGrid: grid)
        let results = try runEvaluation(request, context: ExecutionContext(threads: threads))
        try writeRun(results, to: folder)
        print(CurveTable.render(results))
        print("wrote \(folder)/results.json, curve.csv and index.html (\(String(format: "%.1f", results.seconds)) s)")
    }
}
