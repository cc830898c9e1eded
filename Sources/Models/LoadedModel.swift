import Foundation
import NN

/// How an imported model expects its input, when the graph does not say: `(x * scale - mean[c]) / std[c]`
/// is what the graph receives for pixels x in [0, 1]. Zoo models normalise inside and take none.
public struct InputConventions: Equatable, Sendable {
    /// 255 for a model trained on 0-255 pixels.
    public var scale: Float
    public var mean: [Float]?
    public var std: [Float]?

    public init(scale: Float = 1, mean: [Float]? = nil, std: [Float]? = nil) {
        (self.scale, self.mean, self.std) = (scale, mean, std)
    }

    public var isDefault: Bool { scale == 1 && mean == nil && std == nil }

    /// The per-channel mean and std for a graph of `channels` inputs (one value stretches to all), or
    /// nil without normalisation; a usage error when they do not fit.
    func normalisation(channels: Int, path: String) throws -> (mean: [Float], std: [Float])? {
        guard mean != nil || std != nil else { return nil }
        let expand = { (v: [Float]?, fallback: Float) -> [Float]? in
            guard let v else { return [Float](repeating: fallback, count: channels) }
            return v.count == 1 ? [Float](repeating: v[0], count: channels) : v.count == channels ? v : nil
        }
        guard let mean = expand(mean, 0), let std = expand(std, 1) else {
            throw ModelError("--mean/--std need 1 or \(channels) values for the \(channels) input channels of \(path)")
        }
        guard std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
            throw ModelError("--std must be positive and --mean finite, got mean \(mean) std \(std)")
        }
        return (mean, std)
    }

    /// Fresh layers applying the scale and a checked normalisation ahead of the graph.
    static func layers(scale: Float, normalisation: (mean: [Float], std: [Float])?) -> [any Layer] {
        var out: [any Layer] = []
        if scale != 1 { out.append(ConstantOperand(.mul, constant: Tensor(shape: [], storage: [scale]))) }
        if let normalisation { out.append(Normalize(mean: normalisation.mean, std: normalisation.std)) }
        return out
    }
}

/// A model ready to attack, whichever file it came from: the harness sees this and the
/// `Classifier`s it makes, never the network inside, so a zoo checkpoint and an imported ONNX
/// graph are evaluated by the same code.
public final class LoadedModel {
    /// The name it was asked for by.
    public let name: String
    public let path: String
    /// `safetensors` (zoo checkpoint with card) or `onnx`.
    public let format: String
    /// The zoo architecture, or `onnx` for an imported graph.
    public let architecture: String
    public let sha256: String
    public let parameters: Int
    public let inputShape: InputShape
    public let classes: Int
    /// Class names from the model card; nil for ONNX files (the dataset names them).
    public let classNames: [String]?
    public let cardCleanAccuracy: Double?
    /// The ONNX file's own description, for ONNX models.
    public let onnx: ONNXSummary?
    /// What import changed (a stripped Softmax) and the input conventions applied, one line each.
    public let notes: [String]
    private let build: () -> any Layer
    private let replicate: (() -> any Layer)?

    private init(name: String, path: String, format: String, architecture: String, sha256: String, parameters: Int,
                 inputShape: InputShape, classes: Int, classNames: [String]?, cardCleanAccuracy: Double?, onnx: ONNXSummary?,
                 notes: [String], makeNetwork: @escaping () -> any Layer, replicate: (() -> any Layer)?) {
        (self.name, self.path, self.format, self.architecture, self.sha256, self.parameters) = (name, path, format, architecture, sha256, parameters)
        (self.inputShape, self.classes, self.classNames, self.cardCleanAccuracy, self.onnx, self.notes) = (inputShape, classes, classNames, cardCleanAccuracy, onnx, notes)
        self.build = makeNetwork
        self.replicate = replicate
    }

    /// A fresh copy of the network (the weights are shared), for what needs layers rather than a classifier.
    public func makeNetwork() -> any Layer { build() }

    /// A classifier over a fresh copy of the network with its BatchNorms folded into the convolutions
    /// before them (`foldingBatchNorms`), micro-batched like every model, running on `context`.
    /// Certification takes `makeNetwork()`, the stored weights unfolded.
    public func makeClassifier(context: ExecutionContext) -> any Classifier {
        let fresh = replicate ?? build
        return NetworkClassifier(network: foldingBatchNorms(fresh()), classes: classes, context: context,
                                 replicate: replicate.map { copy in { foldingBatchNorms(copy()) } })
    }

    /// Resolves `reference` (a zoo name, a `.safetensors` path or a `.onnx` path) and loads it.
    /// Unknown names and misused options throw `ModelError` (usage); bad files `CheckpointError` or `ONNXError`.
    public static func load(_ reference: String, dataset: String, modelsDirectory: String,
                            conventions: InputConventions = InputConventions()) throws -> LoadedModel {
        if reference.lowercased().hasSuffix(".onnx") {
            return try loadONNX(path: reference, name: reference, conventions: conventions)
        }
        guard conventions.isDefault else {
            throw ModelError("--input-scale, --mean and --std apply to ONNX models only; zoo model '\(reference)' normalises its input itself (see its card)")
        }
        let path = try ModelZoo.checkpointPath(for: reference, dataset: dataset, modelsDirectory: modelsDirectory)
        let model = try Model.load(path: path)
        let card = try? ModelCard.read(path: ModelCard.path(forCheckpoint: path))
        return LoadedModel(name: reference, path: path, format: "safetensors", architecture: model.architecture,
                           sha256: card?.sha256 ?? "", parameters: model.parameterCount, inputShape: model.inputShape,
                           classes: model.classes, classNames: model.classNames, cardCleanAccuracy: card?.cleanTestAccuracy,
                           onnx: nil, notes: [], makeNetwork: { model.network }, replicate: model.replicaNetwork)
    }

    private static func loadONNX(path: String, name: String, conventions: InputConventions) throws -> LoadedModel {
        let model = try ONNXModel.load(path: path)
        let normalisation = try conventions.normalisation(channels: model.inputShape.channels, path: path)
        let scale = conventions.scale
        var notes = model.notes
        if conventions.scale != 1 { notes.append("Input scaled by \(conventions.scale) before the graph (--input-scale).") }
        if let mean = conventions.mean { notes.append("Input normalised with mean \(mean) before the graph (--mean).") }
        if let std = conventions.std { notes.append("Input normalised with std \(std) before the graph (--std).") }
        let build = { model.makeNetwork(prefix: InputConventions.layers(scale: scale, normalisation: normalisation)) as any Layer }
        return LoadedModel(name: name, path: path, format: "onnx", architecture: "onnx", sha256: model.sha256,
                           parameters: model.summary.parameters, inputShape: model.inputShape, classes: model.classes,
                           classNames: nil, cardCleanAccuracy: nil, onnx: model.summary, notes: notes,
                           makeNetwork: build, replicate: build)
    }
}
