import Files
import Foundation

/// The JSON description written beside every checkpoint (`cnn-fmnist.json` for
/// `cnn-fmnist.safetensors`): what the weights are, how they were made and how good they are.
///
/// Pretty-printed with sorted keys so cards diff well in git. `sha256` ties the card to one
/// weights file: loading refuses weights that do not match it.
public struct ModelCard: Codable, Equatable, Sendable {
    /// The registry name, e.g. `cnn`.
    public var architecture: String
    /// e.g. `fashion-mnist`.
    public var dataset: String
    public var inputShape: InputShape
    public var classes: Int
    public var classNames: [String]
    public var preprocessing: Preprocessing
    /// Free-form, filled in by the trainer: optimizer, lr, schedule, epochs, batch_size, seed, augmentation...
    public var trainingRecipe: [String: RecipeValue]
    /// Top-1 accuracy on the full test split in [0, 1]; nil until measured.
    public var cleanTestAccuracy: Double?
    /// Trainable parameters (buffers excluded).
    public var parameterCount: Int
    /// Lower-case hex SHA-256 of the `.safetensors` file.
    public var sha256: String
    /// The robust version that wrote the card.
    public var toolVersion: String
    /// Robust accuracies measured with `robust eval` after training (attack, norm, epsilon, samples,
    /// accuracy and the command), recorded with `robust models record`; empty until measured.
    public var robustAccuracy: [RobustAccuracy] = []

    /// One measured robust accuracy.
    public struct RobustAccuracy: Codable, Equatable, Sendable {
        public var attack: String
        public var norm: String
        public var eps: Double
        public var samples: Int
        public var accuracy: Double
        /// The `robust eval` command that measured it.
        public var command: String

        public init(attack: String, norm: String, eps: Double, samples: Int, accuracy: Double, command: String) {
            (self.attack, self.norm, self.eps, self.samples, self.accuracy, self.command) = (attack, norm, eps, samples, accuracy, command)
        }
    }

    public init(architecture: String, dataset: String, inputShape: InputShape, classNames: [String],
                preprocessing: Preprocessing, trainingRecipe: [String: RecipeValue], cleanTestAccuracy: Double?,
                parameterCount: Int, sha256: String, toolVersion: String) {
        self.architecture = architecture
        self.dataset = dataset
        self.inputShape = inputShape
        classes = classNames.count
        self.classNames = classNames
        self.preprocessing = preprocessing
        self.trainingRecipe = trainingRecipe
        self.cleanTestAccuracy = cleanTestAccuracy
        self.parameterCount = parameterCount
        self.sha256 = sha256
        self.toolVersion = toolVersion
    }

    enum CodingKeys: String, CodingKey {
        case architecture, dataset, classes, preprocessing, sha256
        case inputShape = "input_shape"
        case classNames = "class_names"
        case trainingRecipe = "training_recipe"
        case cleanTestAccuracy = "clean_test_accuracy"
        case parameterCount = "parameter_count"
        case toolVersion = "tool_version"
        case robustAccuracy = "robust_accuracy"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try c.decode(String.self, forKey: .architecture)
        dataset = try c.decode(String.self, forKey: .dataset)
        inputShape = try c.decode(InputShape.self, forKey: .inputShape)
        classes = try c.decode(Int.self, forKey: .classes)
        classNames = try c.decode([String].self, forKey: .classNames)
        preprocessing = try c.decode(Preprocessing.self, forKey: .preprocessing)
        trainingRecipe = try c.decode([String: RecipeValue].self, forKey: .trainingRecipe)
        cleanTestAccuracy = try c.decodeIfPresent(Double.self, forKey: .cleanTestAccuracy)
        parameterCount = try c.decode(Int.self, forKey: .parameterCount)
        sha256 = try c.decode(String.self, forKey: .sha256)
        toolVersion = try c.decode(String.self, forKey: .toolVersion)
        robustAccuracy = try c.decodeIfPresent([RobustAccuracy].self, forKey: .robustAccuracy) ?? []
    }

    /// The card's path for a checkpoint: the same name with `.json` for `.safetensors`.
    public static func path(forCheckpoint checkpoint: String) -> String {
        let url = URL(fileURLWithPath: checkpoint)
        return url.deletingPathExtension().appendingPathExtension("json").path
    }

    /// Pretty-printed JSON with sorted keys and a final newline.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// Reads a card; a missing or malformed card is a `CheckpointError` naming it.
    public static func read(path: String) throws -> ModelCard {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError(path: path, reason: "model card not found; every checkpoint needs its card (same name, .json) naming its architecture")
        }
        do {
            return try JSONDecoder().decode(ModelCard.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw CheckpointError(path: path, reason: "model card lacks '\(dotted(context.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw CheckpointError(path: path, reason: "model card field '\(dotted(context.codingPath))' has the wrong type: \(context.debugDescription)")
        } catch {
            throw CheckpointError(path: path, reason: "model card is not valid JSON; fix or re-save it")
        }
    }

    /// `input_shape.channels`, the field a decoding error is about.
    private static func dotted(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    /// Writes the card atomically (temporary file, then rename).
    public func write(to path: String) throws {
        do {
            try writeAtomically(encoded(), to: path)
        } catch {
            throw CheckpointError(path: path, reason: "model card cannot be written: \(error.localizedDescription)")
        }
    }
}

/// One value of a training recipe: a string (`"sgd"`, `"cosine"`) or a number (`0.1`, `30`).
public enum RecipeValue: Codable, Equatable, Sendable, CustomStringConvertible,
                         ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case number(Double)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .number(let n): try container.encode(n)
        }
    }

    public var description: String {
        switch self {
        case .string(let s): return s
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
        }
    }
}
