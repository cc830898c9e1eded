import ArgumentParser
import Foundation
import Harness

/// `robust models`: the architectures robust can build and the checkpoints shipped in `models/`.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model zoo: architectures and shipped checkpoints.",
        subcommands: [ModelsList.self, ModelsInit.self, ModelsLogits.self, ModelsRecord.self],
        defaultSubcommand: ModelsList.self
    )
}

/// `robust models [list]`: one table of architectures, one of checkpoints with their cards' figures.
struct ModelsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List architectures (parameters for Fashion-MNIST's 1x28x28, 10 classes) and shipped checkpoints, or describe an ONNX file.",
        discussion: "Example: robust models --inspect my_model.onnx   (inputs, opset, producer, operators, parameters, and whether robust imports it)"
    )

    @Option(help: "Directory of shipped checkpoints.")
    var modelsDir = "models"

    @Option(help: ArgumentHelp("Describe this ONNX file instead of listing the zoo.", valueName: "model.onnx"))
    var inspect: String?

    func run() throws {
        if let inspect {
            let (text, problem) = try inspectONNX(path: inspect)
            print(text)
            if let problem { throw problem }
            return
        }
        print("Architectures (parameters for 1x28x28 input, 10 classes):")
        for arch in Architecture.all {
            let model = try Model(architecture: arch.name, dataset: "fashion-mnist", inputShape: .fashionMNIST,
                                  classNames: (0..<10).map(String.init), seed: 0)
            print("  \(pad(arch.name, 14)) \(pad(String(model.parameterCount), 9, right: true))  \(arch.summary)")
        }
        let shipped = ModelZoo.shippedCheckpoints(modelsDirectory: modelsDir)
        print("\nCheckpoints in \(modelsDir)/:" + (shipped.isEmpty ? " none" : ""))
        for name in shipped {
            let cardPath = ModelCard.path(forCheckpoint: URL(fileURLWithPath: modelsDir).appendingPathComponent(name + ".safetensors").path)
            do {
                let card = try ModelCard.read(path: cardPath)
                let accuracy = card.cleanTestAccuracy.map { String(format: "%.2f%%", 100 * $0) } ?? "not measured"
                print("  \(pad(name, 24)) \(pad(card.architecture, 12)) \(pad(String(card.parameterCount), 9, right: true))  clean accuracy \(accuracy)")
            } catch {
                print("  \(pad(name, 24)) unusable: \(error)")
            }
        }
    }

    private func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }
}

/// `robust models init`: an untrained, seeded checkpoint with its card, e.g. to check it loads in PyTorch.
struct ModelsInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a freshly initialised checkpoint and its card (Fashion-MNIST shape and classes).",
        discussion: "Example: robust models init --architecture resnet-lite --seed 1 --out /tmp/resnet-lite-init.safetensors"
    )

    @Option(help: "Architecture name (see `robust models`).")
    var architecture: String

    @Option(help: "Initialisation seed.")
    var seed: UInt64 = 0

    @Option(help: "Checkpoint path, ending in .safetensors; the card is written beside it.")
    var out: String

    func validate() throws {
        guard Architecture.named(architecture) != nil else {
            throw ValidationError("unknown architecture '\(architecture)'; known architectures: \(Architecture.names.joined(separator: ", "))")
        }
        guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must end in .safetensors (got '\(out)')") }
    }

    func run() throws {
        let model = try Model(architecture: architecture, dataset: "fashion-mnist", inputShape: .fashionMNIST,
                              classNames: (0..<10).map(String.init), seed: seed)
        do {
            try model.save(to: out, trainingRecipe: ["seed": .number(Double(seed)), "epochs": 0], toolVersion: toolVersion)
        } catch {
            throw ToolError.badInput("\(error)")
        }
    }
}

/// `robust models logits`: raw logits for raw images, so scripts/check_pytorch.py can compare with PyTorch.
struct ModelsLogits: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Write a model's logits for raw images (little-endian float32 NCHW in [0,1]) as float32 [N, classes].",
        discussion: "Example: robust models logits --model models/cnn-fmnist.safetensors --input x.f32 --out logits.f32"
    )

    @OptionGroup var selection: ModelSelection

    @Option(help: "Raw float32 images, N x C x H x W of the model's input shape.")
    var input: String

    @Option(help: "Where to write the float32 logits.")
    var out: String

    func run() throws {
        let loaded = try loadModel(selection.model, dataset: selection.dataset, modelsDirectory: selection.modelsDir)
        let classifier = loaded.makeClassifier(context: ExecutionContext(threads: ExecutionContext.availableCores))
        guard let data = FileManager.default.contents(atPath: input) else {
            throw ToolError.badInput("cannot read --input \(input)")
        }
        let size = loaded.inputShape.count
        guard data.count > 0, data.count % (4 * size) == 0 else {
            throw ToolError.badInput("--input \(input) has \(data.count) bytes, not a whole number of float32 \(loaded.inputShape) images")
        }
        let pixels = data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        let count = pixels.count / size, batch = 100
        var logits: [Float] = []
        for start in stride(from: 0, to: count, by: batch) {
            let n = min(batch, count - start)
            let x = Tensor(shape: [n, loaded.inputShape.channels, loaded.inputShape.height, loaded.inputShape.width],
                           storage: Array(pixels[start * size ..< (start + n) * size]))
            logits += classifier.logits(x).storage
        }
        let bytes = logits.map { $0.bitPattern.littleEndian }.withUnsafeBufferPointer { Data(buffer: $0) }
        do {
            try writeAtomically(bytes, to: out)
        } catch {
            throw ToolError.badInput("cannot write --out \(out): \(error.localizedDescription)")
        }
    }
}

/// `robust models record`: copies a run's robust accuracies into the evaluated checkpoint's card.
struct ModelsRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a run's robust accuracies (every attack and epsilon) in the evaluated checkpoint's model card.",
        discussion: "Example: robust models record reports/cnn-fmnist-pgd-pgd20x5   (the run's model SHA-256 must match the card)"
    )

    @Argument(help: ArgumentHelp("A run folder written by `robust eval`, or its results.json.", valueName: "run"))
    var runFolder: String

    func run() throws {
        let (card, entries) = try recordRobustAccuracy(run: runFolder)
        for e in entries {
            print(String(format: "%@ %@ eps=%g: %.2f %% of %d samples", e.attack as NSString, e.norm as NSString, e.eps, 100 * e.accuracy, e.samples))
        }
        print("recorded \(entries.count) robust accuracies in \(card)")
    }
}
