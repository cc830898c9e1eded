import ArgumentParser
import Harness

/// `robust export`: a zoo checkpoint as an ONNX file, so other tools can check robust's models.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a zoo checkpoint as an ONNX file (opset 17, input [batch, C, H, W] in [0, 1], output logits).",
        discussion: """
        The file is imported back and its logits compared with the checkpoint's before it is kept: bit for \
        bit, or within 1e-4 for models with BatchNorm (import folds it into the convolution).

        Example: robust export --model cnn --onnx cnn-fmnist.onnx
        """
    )

    @OptionGroup var selection: ModelSelection

    @Option(help: ArgumentHelp("Where to write the ONNX file.", valueName: "file.onnx"))
    var onnx: String

    func validate() throws {
        guard onnx.lowercased().hasSuffix(".onnx") else { throw ValidationError("--onnx must end in .onnx (got '\(onnx)')") }
    }

    func run() throws {
        let (bytes, difference) = try exportONNX(model: selection.model, dataset: selection.dataset, modelsDirectory: selection.modelsDir, to: onnx)
        print("wrote \(onnx) (\(bytes) bytes); re-imported logits match the checkpoint " + (difference == 0 ? "bit for bit" : "within \(difference)"))
    }
}

/// The options that name one model: `--model`, the dataset its short name resolves for, and where checkpoints live.
struct ModelSelection: ParsableArguments {
    @Option(help: "Architecture (its shipped checkpoint for --dataset), checkpoint name in --models-dir, .safetensors path, or .onnx file (not for export).")
    var model: String

    @Option(help: "Dataset the model name resolves for.")
    var dataset = "fashion-mnist"

    @Option(help: "Folder of shipped checkpoints.")
    var modelsDir = "models"
}
