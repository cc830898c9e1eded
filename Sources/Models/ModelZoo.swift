import Foundation

/// Finds checkpoints by name: `--model cnn` is the shipped `<modelsDirectory>/cnn-fmnist.safetensors`
/// when evaluating Fashion-MNIST; `--model cnn-fmnist` is that file by its full name; anything
/// ending in `.safetensors` or containing `/` is a path whose card names its architecture.
///
/// The models directory is a parameter, never a global, so tests and the CLI choose it.
public enum ModelZoo {
    /// The short dataset name used in shipped checkpoint names: `fashion-mnist` -> `fmnist`.
    public static func datasetShortName(_ dataset: String) -> String {
        switch dataset {
        case "fashion-mnist": return "fmnist"
        case "cifar-10": return "cifar10"
        default: return dataset
        }
    }

    /// The names (without `.safetensors`) of the checkpoints in `modelsDirectory`, sorted.
    public static func shippedCheckpoints(modelsDirectory: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: modelsDirectory)) ?? []
        return files.filter { $0.hasSuffix(".safetensors") }.map { String($0.dropLast(".safetensors".count)) }.sorted()
    }

    /// The checkpoint file `model` refers to, for evaluating `dataset`. An unknown name is a
    /// `ModelError` listing the architectures and the shipped checkpoints.
    public static func checkpointPath(for model: String, dataset: String, modelsDirectory: String) throws -> String {
        if model.hasSuffix(".safetensors") || model.contains("/") { return model }
        let shipped = shippedCheckpoints(modelsDirectory: modelsDirectory)
        let directory = URL(fileURLWithPath: modelsDirectory)
        if Architecture.named(model) != nil {
            let name = "\(model)-\(datasetShortName(dataset))"
            guard shipped.contains(name) else {
                throw ModelError("no shipped checkpoint for architecture '\(model)' on \(dataset) (looked for \(directory.appendingPathComponent(name + ".safetensors").path)); shipped checkpoints: \(list(shipped)); train one or pass a .safetensors path")
            }
            return directory.appendingPathComponent(name + ".safetensors").path
        }
        if shipped.contains(model) { return directory.appendingPathComponent(model + ".safetensors").path }
        throw ModelError("unknown model '\(model)'; known architectures: \(Architecture.names.joined(separator: ", ")); shipped checkpoints in \(modelsDirectory): \(list(shipped)); or pass a path to a .safetensors file")
    }

    /// Resolves `model` (see `checkpointPath`) and loads it with its card.
    public static func load(_ model: String, dataset: String, modelsDirectory: String) throws -> Model {
        try Model.load(path: checkpointPath(for: model, dataset: dataset, modelsDirectory: modelsDirectory))
    }

    private static func list(_ names: [String]) -> String {
        names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}
