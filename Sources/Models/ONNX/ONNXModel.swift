import Foundation
import NN
import ONNXProto

/// What an ONNX file says about itself: shown by `robust models --inspect` and recorded in results.json.
public struct ONNXSummary: Codable, Equatable, Sendable {
    public var irVersion: Int
    public var opset: Int
    /// `producer_name producer_version`, e.g. `pytorch 2.13.0`.
    public var producer: String
    /// Graph inputs that are not initializers, as `name: [dims]` (symbolic dimensions by name).
    public var inputs: [String]
    public var outputs: [String]
    /// Node count per operator type.
    public var opHistogram: [String: Int]
    /// Elements in all initializers (weights, biases and BatchNorm statistics).
    public var parameters: Int
    /// `Softmax` or `LogSoftmax` when the graph ends in one (robust strips it), else nil.
    public var finalActivation: String?
}

/// A user's ONNX classifier, imported: the graph as steps over robust's own layers and kernels,
/// with BatchNormalization folded into convolutions and constant subgraphs folded at load.
public struct ONNXModel {
    public let path: String
    /// SHA-256 of the file, hex.
    public let sha256: String
    public let summary: ONNXSummary
    /// The image shape the graph takes (its batch dimension is free).
    public let inputShape: InputShape
    /// Logits per sample.
    public let classes: Int
    /// One line per change made on import (a stripped Softmax), for the report.
    public let notes: [String]
    let plan: ImportedPlan

    /// Reads and imports `path`. Every problem is an `ONNXError` naming the file and, for a node, the node.
    public static func load(path: String) throws -> ONNXModel {
        let loader = ONNXLoader(path: path)
        let (model, sha) = try loader.readModel()
        let summary = summarize(model)
        _ = try loader.opset(model) // refuses opsets outside 11...21
        let graph = model.graph
        // URL, not NSString: `deletingLastPathComponent` traps on one-character paths on Linux.
        let decoder = TensorDecoder(path: path, directory: URL(fileURLWithPath: path).deletingLastPathComponent().path)

        var constants: [String: Constant] = [:]
        for (i, t) in graph.initializer.enumerated() {
            constants[t.name] = try decoder.decode(t, what: "initializer '\(t.name.isEmpty ? "#\(i)" : t.name)'")
        }
        let runtimeInputs = graph.input.filter { constants[$0.name] == nil }
        guard runtimeInputs.count == 1, let input = runtimeInputs.first else {
            throw ONNXError(path: path, reason: "the graph has \(runtimeInputs.count) inputs (\(runtimeInputs.map(\.name).joined(separator: ", "))); robust feeds one image tensor [N, C, H, W]")
        }
        let (shape, declaredBatch) = try imageShape(input, path: path)
        guard graph.output.count == 1, let output = graph.output.first else {
            throw ONNXError(path: path, reason: "the graph has \(graph.output.count) outputs; robust needs one, the logits [N, classes]")
        }

        let nodes = try loader.sorted(graph, known: Set(constants.keys).union([input.name]))
        var importer = ONNXImporter(path: path, decoder: decoder, inputName: input.name, inputShape: shape,
                                    declaredBatch: declaredBatch)
        for (name, c) in constants { importer.values[name] = .constant(c) }
        for node in nodes { for name in node.input where !name.isEmpty { importer.uses[name, default: 0] += 1 } }
        importer.uses[output.name, default: 0] += 1
        for (i, node) in nodes.enumerated() {
            try importer.importNode(node, index: i, isLast: node.output.first == output.name)
        }
        guard case .runtime(let result)? = importer.values[output.name] else {
            throw ONNXError(path: path, reason: "the output '\(output.name)' does not depend on the input image")
        }
        let outShape = importer.sampleShapes[result]
        guard outShape.count == 1, outShape[0] >= 2 else {
            throw ONNXError(path: path, reason: "the output '\(output.name)' is [N] + \(outShape); robust needs logits [N, classes] with at least 2 classes")
        }
        return ONNXModel(path: path, sha256: sha, summary: summary, inputShape: shape, classes: outShape[0],
                         notes: importer.notes, plan: ImportedPlan(steps: importer.steps, output: result))
    }

    /// The file's summary without importing it: `robust models --inspect` shows it even for a
    /// model robust cannot import (and then says why).
    public static func inspect(path: String) throws -> ONNXSummary {
        summarize(try ONNXLoader(path: path).readModel().model)
    }

    /// A fresh network over the model's weights, with `prefix` layers before it (input scaling,
    /// normalisation given on the command line). Each call builds new layers; weights are shared.
    public func makeNetwork(prefix: [any Layer] = []) -> Sequential {
        plan.makeNetwork(prefix: prefix)
    }

    /// Layers and graph operations the import made (after folding), for `--inspect`.
    public var stepCount: Int { plan.steps.count }

    private static func summarize(_ model: Onnx_ModelProto) -> ONNXSummary {
        let graph = model.graph
        let initializers = Set(graph.initializer.map(\.name))
        var histogram: [String: Int] = [:]
        for node in graph.node { histogram[node.opType, default: 0] += 1 }
        let parameters = graph.initializer.reduce(0) { $0 + (checkedElementCount($1.dims) ?? 0) }
        let opset = model.opsetImport.first { $0.domain == "" || $0.domain == "ai.onnx" }.map { Int(clamping: $0.version) } ?? 0
        let last = graph.node.last { $0.output.contains(graph.output.first?.name ?? "") }
        return ONNXSummary(
            irVersion: Int(clamping: model.irVersion), opset: opset,
            producer: [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " "),
            inputs: graph.input.filter { !initializers.contains($0.name) }.map(describe),
            outputs: graph.output.map(describe), opHistogram: histogram, parameters: parameters,
            finalActivation: last.flatMap { ["Softmax", "LogSoftmax"].contains($0.opType) ? $0.opType : nil })
    }

    private static func describe(_ v: Onnx_ValueInfoProto) -> String {
        let dims = v.type.tensorType.shape.dim.map { d -> String in
            if case .dimValue(let n)? = d.value { return String(n) }
            if case .dimParam(let s)? = d.value, !s.isEmpty { return s }
            return "?"
        }
        return "\(v.name): [\(dims.joined(separator: ", "))]"
    }

    /// `[C, H, W]` of the image input, and its batch dimension when the file fixes it.
    private static func imageShape(_ input: Onnx_ValueInfoProto, path: String) throws -> (InputShape, Int?) {
        let tensor = input.type.tensorType
        guard tensor.elemType == 1 else {
            throw ONNXError(path: path, reason: "input '\(input.name)' has element type \(tensor.elemType); robust feeds float32 images")
        }
        let dims = tensor.shape.dim.map { d -> Int? in
            if case .dimValue(let n)? = d.value { return Int(clamping: n) }
            return nil
        }
        guard dims.count == 4, let c = dims[1], let h = dims[2], let w = dims[3], c > 0, h > 0, w > 0,
              c <= 4096, h <= 8192, w <= 8192, c * h * w <= 1 << 24 else {
            let shown = dims.map { $0.map(String.init) ?? "?" }.joined(separator: ", ")
            throw ONNXError(path: path, reason: "input '\(input.name)' has shape [\(shown)]; robust needs an image [N, C, H, W] with C, H and W fixed (at most 4096 channels and 8192 pixels a side); export with a dummy input of the image size")
        }
        return (InputShape(channels: c, height: h, width: w), dims[0])
    }
}
