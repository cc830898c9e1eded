import Foundation
import NN
import ONNXProto
import SwiftProtobuf

extension Model {
    /// The model as an ONNX file (opset 17, IR 8): input `input` [batch, C, H, W] in [0, 1],
    /// output `logits` [batch, classes]. Normalisation is exported as `Sub` and `Mul` by 1/std, the
    /// arithmetic robust itself does, so importing the file back gives bit-identical logits.
    /// Every layer maps to one standard operator; BatchNorm stays a `BatchNormalization` (inference).
    public func onnxData(producerVersion: String) throws -> Data {
        var writer = ONNXGraphWriter()
        let output = try writer.add(network, input: "input")
        var graph = Onnx_GraphProto()
        graph.name = architecture
        graph.node = writer.nodes
        graph.initializer = writer.initializers
        graph.input = [valueInfo("input", dims: [nil, inputShape.channels, inputShape.height, inputShape.width])]
        writer.rename(output, to: "logits", in: &graph)
        graph.output = [valueInfo("logits", dims: [nil, classes])]
        var model = Onnx_ModelProto()
        model.irVersion = 8
        model.producerName = "robust"
        model.producerVersion = producerVersion
        model.docString = "robust \(architecture) on \(dataset); classes: \(classNames.joined(separator: ", "))"
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = 17
        model.opsetImport = [opset]
        model.graph = graph
        return try model.serializedData()
    }
}

/// `name: [batch or dims]`, the batch dimension symbolic.
private func valueInfo(_ name: String, dims: [Int?]) -> Onnx_ValueInfoProto {
    var info = Onnx_ValueInfoProto()
    info.name = name
    var tensor = Onnx_TypeProto.Tensor()
    tensor.elemType = 1
    var shape = Onnx_TensorShapeProto()
    shape.dim = dims.map { d in
        var dim = Onnx_TensorShapeProto.Dimension()
        if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "batch" }
        return dim
    }
    tensor.shape = shape
    info.type.tensorType = tensor
    return info
}

/// Accumulates nodes and initializers while walking a network.
struct ONNXGraphWriter {
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    private var counter = 0

    private mutating func fresh(_ base: String) -> String {
        counter += 1
        return "\(base)_\(counter)"
    }

    mutating func constant(_ name: String, _ t: Tensor) -> String {
        var proto = Onnx_TensorProto()
        proto.name = fresh(name)
        proto.dataType = 1
        proto.dims = t.shape.map { Int64($0) }
        proto.rawData = t.storage.withUnsafeBufferPointer { Data(buffer: $0) }
        initializers.append(proto)
        return proto.name
    }

    mutating func node(_ op: String, _ inputs: [String], attributes: [Onnx_AttributeProto] = []) -> String {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = fresh(op)
        node.input = inputs
        node.output = [node.name + "_out"]
        node.attribute = attributes
        nodes.append(node)
        return node.output[0]
    }

    /// Writes `layer` reading value `input`; returns the value it produces.
    mutating func add(_ layer: any Layer, input: String) throws -> String {
        switch layer {
        case let s as Sequential:
            return try s.layers.reduce(input) { try add($1, input: $0) }
        case let n as Normalize:
            let c = n.mean.count
            let centred = node("Sub", [input, constant("mean", Tensor(shape: [1, c, 1, 1], storage: n.mean))])
            return node("Mul", [centred, constant("inverse_std", Tensor(shape: [1, c, 1, 1], storage: n.inverseStd))])
        case let conv as Conv2d:
            var inputs = [input, constant("weight", conv.weight.value)]
            if let bias = conv.bias { inputs.append(constant("bias", bias.value)) }
            return node("Conv", inputs, attributes: [
                .ints("kernel_shape", [conv.kernelHeight, conv.kernelWidth]), .ints("strides", [conv.stride, conv.stride]),
                .ints("pads", [Int](repeating: conv.padding, count: 4)),
            ])
        case let bn as BatchNorm2d:
            return node("BatchNormalization", [input, constant("scale", bn.weight.value), constant("bias", bn.bias.value),
                                               constant("mean", bn.runningMean.value), constant("var", bn.runningVar.value)],
                        attributes: [.float("epsilon", bn.eps), .float("momentum", 1 - bn.momentum)])
        case let linear as Linear:
            var inputs = [input, constant("weight", linear.weight.value)]
            if let bias = linear.bias { inputs.append(constant("bias", bias.value)) }
            return node("Gemm", inputs, attributes: [.int("transB", 1)])
        case let pool as MaxPool2d:
            return node("MaxPool", [input], attributes: [
                .ints("kernel_shape", [pool.kernelSize, pool.kernelSize]), .ints("strides", [pool.stride, pool.stride]),
                .ints("pads", [Int](repeating: pool.padding, count: 4)),
            ])
        case let pool as AvgPool2d:
            return node("AveragePool", [input], attributes: [
                .ints("kernel_shape", [pool.kernelSize, pool.kernelSize]), .ints("strides", [pool.stride, pool.stride]),
                .ints("pads", [Int](repeating: pool.padding, count: 4)), .int("count_include_pad", pool.countIncludePad ? 1 : 0),
            ])
        case is GlobalAvgPool2d:
            return node("Flatten", [node("GlobalAveragePool", [input])], attributes: [.int("axis", 1)])
        case is ReLU:
            return node("Relu", [input])
        case is Flatten:
            return node("Flatten", [input], attributes: [.int("axis", 1)])
        case let block as Residual:
            let main = try add(block.main, input: input)
            let skip = try block.shortcut.map { try add($0, input: input) } ?? input
            return node("Relu", [node("Add", [main, skip])])
        default:
            throw ModelError("cannot export layer \(type(of: layer)) to ONNX")
        }
    }

    /// Renames value `old` to `new` wherever a node writes it (the graph's output gets a stable name).
    func rename(_ old: String, to new: String, in graph: inout Onnx_GraphProto) {
        for i in graph.node.indices {
            graph.node[i].output = graph.node[i].output.map { $0 == old ? new : $0 }
            graph.node[i].input = graph.node[i].input.map { $0 == old ? new : $0 }
        }
    }
}

extension Onnx_AttributeProto {
    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values.map { Int64($0) }
        return a
    }

    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(value)
        return a
    }

    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = value
        return a
    }
}
