import Foundation
import NN
import ONNXProto
import SwiftProtobuf

/// The operators robust imports, for messages (Softmax and LogSoftmax only as the last node).
public let supportedONNXOperators = [
    "Add", "AveragePool", "BatchNormalization", "Cast", "Concat", "Constant", "Conv", "Div", "Dropout", "Flatten", "Gather",
    "Gemm", "GlobalAveragePool", "Identity", "LeakyRelu", "LogSoftmax", "MatMul", "MaxPool", "Mul", "Pad", "Relu",
    "Reshape", "Shape", "Sigmoid", "Softmax", "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze",
]

/// The opsets robust reads: 11 (PyTorch's oldest default) to 21.
public let supportedONNXOpsets = 11...21

/// Turns an ONNX graph into an `ImportedPlan`: one pass over the nodes in topological order,
/// folding everything that does not depend on the input (initializers, `Constant`s, the shape
/// chain) and turning the rest into steps, with shapes checked as it goes.
///
/// Every runtime value is `[N] + sampleShape` with N the batch: no step may mix samples, so
/// micro-batches and shards give the same bits as whole batches.
struct ONNXImporter {
    enum Value {
        case constant(Constant)
        case runtime(Int)
    }

    let path: String
    let decoder: TensorDecoder
    /// The graph input's declared batch size when it is a number (exporters without dynamic axes write 1).
    let declaredBatch: Int?
    var values: [String: Value] = [:]
    var steps: [Step] = []
    /// Sample shape of each runtime value (value 0 is the input).
    var sampleShapes: [[Int]]
    /// How many nodes (and graph outputs) read each value name: folding into a producer needs one.
    var uses: [String: Int] = [:]
    /// A note for the report per stripped or adjusted node.
    var notes: [String] = []
    /// Name of each runtime value, for folding decisions.
    var runtimeNames: [Int: String] = [:]

    init(path: String, decoder: TensorDecoder, inputName: String, inputShape: InputShape, declaredBatch: Int?) {
        self.path = path
        self.decoder = decoder
        self.declaredBatch = declaredBatch
        sampleShapes = [[inputShape.channels, inputShape.height, inputShape.width]]
        values[inputName] = .runtime(0)
        runtimeNames[0] = inputName
    }

    func fail(_ node: String, _ reason: String) -> ONNXError {
        ONNXError(path: path, reason: "node '\(node)': \(reason)")
    }

    /// The value called `name`, which an earlier node or initializer must have made.
    func value(_ name: String, node: String) throws -> Value {
        guard let v = values[name] else { throw fail(node, "reads '\(name)', which no initializer, input or earlier node provides") }
        return v
    }

    /// Input `i` of `node`, or nil when absent or named "" (an omitted optional input).
    func input(_ node: Onnx_NodeProto, _ i: Int, name: String) throws -> Value? {
        guard i < node.input.count, !node.input[i].isEmpty else { return nil }
        return try value(node.input[i], node: name)
    }

    func constantInput(_ node: Onnx_NodeProto, _ i: Int, name: String, what: String) throws -> Constant? {
        guard let v = try input(node, i, name: name) else { return nil }
        guard case .constant(let c) = v else {
            throw fail(name, "its \(what) is computed from the image; robust needs it fixed in the file (an initializer or constant)")
        }
        return c
    }

    /// Appends a step reading `inputs` and returns the new value's id. Activations are allocated at
    /// run time; a step that would ask for absurd ones (a Pad or broadcast bomb) is refused here.
    mutating func append(_ kind: StepKind, inputs: [Int], sampleShape: [Int], node: String) throws -> Int {
        guard sampleShape.allSatisfy({ $0 > 0 }) else {
            throw fail(node, "makes an empty activation [N] + \(sampleShape) (a weight with a zero dimension?); the file is corrupt")
        }
        guard checkedElementCount(sampleShape.map(Int64.init), limit: maximumActivationElements) != nil else {
            throw fail(node, "makes activations of [N] + \(sampleShape), over \(maximumActivationElements) elements per image; is this an image classifier?")
        }
        steps.append(Step(kind: kind, inputs: inputs, node: node))
        sampleShapes.append(sampleShape)
        return steps.count
    }

    /// Binds `node`'s first output to `value`.
    mutating func bind(_ node: Onnx_NodeProto, _ value: Value) {
        guard let name = node.output.first, !name.isEmpty else { return }
        values[name] = value
        if case .runtime(let id) = value { runtimeNames[id] = name }
    }

    /// True when value `id` was made by the last step and nothing but the current node reads it,
    /// so the current node may change that step instead of adding one.
    func foldable(_ id: Int) -> Bool {
        guard id == steps.count, id > 0, let name = runtimeNames[id] else { return false }
        return uses[name, default: 0] == 1
    }
}

/// Reads `path` as an ONNX model and imports its graph.
struct ONNXLoader {
    let path: String

    /// The parsed model, or an `ONNXError` saying why it is not one robust can read.
    func readModel() throws -> (model: Onnx_ModelProto, sha256: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw ONNXError(path: path, reason: "no such file; check the path (export one with torch.onnx.export)")
        }
        // A regular file of at most 2 GiB (protobuf's own limit): a device or FIFO would be read forever.
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard attributes?[.type] as? FileAttributeType == .typeRegular else {
            throw ONNXError(path: path, reason: "is not a regular file; pass the .onnx file itself")
        }
        guard ((attributes?[.size] as? NSNumber)?.int64Value ?? 0) < Int64(1) << 31 else {
            throw ONNXError(path: path, reason: "is 2 GiB or larger, past protobuf's limit; export the weights as external data beside the model")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ONNXError(path: path, reason: "cannot be read; check its permissions")
        }
        let model: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            model = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw ONNXError(path: path, reason: "is not an ONNX model (protobuf decoding failed: \(error)); check that the file is complete and was written by torch.onnx.export or onnx.save")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else {
            throw ONNXError(path: path, reason: "holds no graph (an empty or truncated file, or not an ONNX model); re-export it")
        }
        return (model, sha256Hex(data))
    }

    /// The default-domain opset the model declares.
    func opset(_ model: Onnx_ModelProto) throws -> Int {
        guard let entry = model.opsetImport.first(where: { $0.domain == "" || $0.domain == "ai.onnx" }) else {
            throw ONNXError(path: path, reason: "declares no ONNX opset; re-export it with torch.onnx.export(..., opset_version=17)")
        }
        let version = Int(clamping: entry.version)
        guard supportedONNXOpsets.contains(version) else {
            throw ONNXError(path: path, reason: "uses opset \(version); robust reads opsets \(supportedONNXOpsets.lowerBound)-\(supportedONNXOpsets.upperBound): re-export with opset_version=17 (or onnx.version_converter)")
        }
        return version
    }

    /// The nodes in an order where each reads only what earlier nodes wrote (Kahn's algorithm).
    func sorted(_ graph: Onnx_GraphProto, known: Set<String>) throws -> [Onnx_NodeProto] {
        var producer: [String: Int] = [:]
        for (i, node) in graph.node.enumerated() {
            for output in node.output where !output.isEmpty {
                guard producer[output] == nil, !known.contains(output) else {
                    throw ONNXError(path: path, reason: "value '\(output)' is written twice (by node '\(nodeName(node, i))'); the graph is invalid")
                }
                producer[output] = i
            }
        }
        var pending = [Int](repeating: 0, count: graph.node.count)
        var readers = [[Int]](repeating: [], count: graph.node.count)
        for (i, node) in graph.node.enumerated() {
            for input in Set(node.input) where !input.isEmpty {
                if let p = producer[input] {
                    pending[i] += 1
                    readers[p].append(i)
                } else if !known.contains(input) {
                    throw ONNXError(path: path, reason: "node '\(nodeName(node, i))' reads '\(input)', which no initializer, input or node provides")
                }
            }
        }
        var ready = (0..<graph.node.count).filter { pending[$0] == 0 }.reversed().map { $0 }
        var order: [Int] = []
        while let i = ready.popLast() {
            order.append(i)
            for r in readers[i] {
                pending[r] -= 1
                if pending[r] == 0 { ready.append(r) }
            }
        }
        guard order.count == graph.node.count else {
            let stuck = (0..<graph.node.count).first { pending[$0] > 0 }!
            throw ONNXError(path: path, reason: "the graph has a cycle through node '\(nodeName(graph.node[stuck], stuck))'; ONNX graphs must be acyclic")
        }
        return order.map { graph.node[$0] }
    }
}

/// A node's name, or `op#index` for unnamed nodes.
func nodeName(_ node: Onnx_NodeProto, _ index: Int) -> String {
    node.name.isEmpty ? "\(node.opType)#\(index)" : node.name
}
