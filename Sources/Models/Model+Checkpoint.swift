import Crypto
import Files
import Foundation

extension Model {
    /// Writes the weights to `path` (`.safetensors`) and the model card beside it (`.json`), each
    /// atomically, the card carrying the SHA-256 of exactly the bytes written. Returns the card.
    @discardableResult
    public func save(to path: String, trainingRecipe: [String: RecipeValue] = [:], cleanTestAccuracy: Double? = nil,
                     toolVersion: String) throws -> ModelCard {
        guard path.hasSuffix(".safetensors") else {
            throw CheckpointError(path: path, reason: "checkpoint names must end in .safetensors (the card goes beside it as .json)")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CheckpointError(path: path, reason: "cannot be written: directory \(directory) does not exist; create it first")
        }
        let data = SafeTensors.encode(stateFile())
        do {
            try writeAtomically(data, to: path)
        } catch {
            throw CheckpointError(path: path, reason: "cannot be written: \(error.localizedDescription)")
        }
        let card = ModelCard(architecture: architecture, dataset: dataset, inputShape: inputShape, classNames: classNames,
                             preprocessing: preprocessing, trainingRecipe: trainingRecipe, cleanTestAccuracy: cleanTestAccuracy,
                             parameterCount: parameterCount, sha256: sha256Hex(data), toolVersion: toolVersion)
        try card.write(to: ModelCard.path(forCheckpoint: path))
        return card
    }

    /// Loads a checkpoint and its card: the card names the architecture and shapes, the file's
    /// SHA-256 must equal the card's, and the weights must fit the architecture exactly.
    /// Every failure is one `CheckpointError` line naming the file and the problem.
    public static func load(path: String) throws -> Model {
        let cardPath = ModelCard.path(forCheckpoint: path)
        let card = try ModelCard.read(path: cardPath)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError(path: path, reason: "not found; check the path, or list shipped models with `robust models`")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError(path: path, reason: "cannot be read (permissions?)")
        }
        let digest = sha256Hex(data)
        guard digest == card.sha256.lowercased() else {
            throw CheckpointError(path: path, reason: "SHA-256 \(digest) does not match \(cardPath) (\(card.sha256)): the weights changed after the card was written; re-save the model or restore the file")
        }
        let model = try fromCard(card, cardPath: cardPath)
        try model.loadState(SafeTensors.decode(data, source: path), source: path)
        return model
    }

    /// An initialised model of the card's architecture and shapes; card errors name the card.
    private static func fromCard(_ card: ModelCard, cardPath: String) throws -> Model {
        guard Architecture.named(card.architecture) != nil else {
            throw CheckpointError(path: cardPath, reason: "card names unknown architecture '\(card.architecture)'; known architectures: \(Architecture.names.joined(separator: ", "))")
        }
        guard card.classes == card.classNames.count else {
            throw CheckpointError(path: cardPath, reason: "card says \(card.classes) classes but lists \(card.classNames.count) class names")
        }
        do {
            return try Model(architecture: card.architecture, dataset: card.dataset, inputShape: card.inputShape,
                             classNames: card.classNames, preprocessing: card.preprocessing, seed: 0)
        } catch let error as ModelError {
            throw CheckpointError(path: cardPath, reason: error.message)
        }
    }
}

/// Lower-case hex SHA-256 of `data`, as `sha256sum` prints it.
public func sha256Hex(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}
