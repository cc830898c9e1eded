import Foundation
import NN
import ONNXProto

extension ONNXImporter {
    /// Imports one node: folds it when all its inputs are constants, else adds (or folds into) steps.
    mutating func importNode(_ node: Onnx_NodeProto, index: Int, isLast: Bool) throws {
        let name = nodeName(node, index)
        guard node.domain == "" || node.domain == "ai.onnx" else {
            throw fail(name, "op '\(node.opType)' of domain '\(node.domain)' is not a standard ONNX operator; supported: \(supportedONNXOperators.joined(separator: ", "))")
        }
        let a = Attributes(node, name: name, path: path)
        switch node.opType {
        case "Identity", "Dropout":
            let v = try firstInput(node, name: name)
            if node.opType == "Dropout", let training = try constantInput(node, 2, name: name, what: "training_mode"),
               training.ints?.first ?? 0 != 0 {
                throw fail(name, "Dropout in training mode; export the model in eval mode (model.eval())")
            }
            if node.output.count > 1, !node.output[1].isEmpty, uses[node.output[1], default: 0] > 0 {
                throw fail(name, "Dropout's mask output is used; export the model in eval mode (model.eval())")
            }
            bind(node, v)
        case "Constant":
            bind(node, .constant(try constantAttribute(a, name: name)))
        case "Cast":
            let v = try firstInput(node, name: name)
            let to = a.int("to", 1)
            switch v {
            case .constant(let c):
                if to == 1 || to == 11 || to == 10 {
                    guard let floats = c.floats else {
                        throw fail(name, "casts a shape holding the batch size to type \(to); robust folds the batch size only as an integer (simplify the model with onnxsim, or export with a fixed batch)")
                    }
                    bind(node, .constant(Constant(shape: c.shape, values: .float(floats))))
                }
                else if let d = c.dims { bind(node, .constant(Constant(shape: c.shape, values: .int(d)))) }
                else if let f = c.floats { bind(node, .constant(Constant(shape: c.shape, values: .int(f.map { .fixed(Int($0.rounded(.towardZero))) })))) }
            case .runtime:
                guard to == 1 else { throw fail(name, "casts the image data to type \(to); robust computes in float32 only") }
                bind(node, v)
            }
        case "Shape":
            try importShape(node, a, name: name)
        case "Gather":
            try importGather(node, a, name: name)
        case "Unsqueeze", "Squeeze":
            try importSqueeze(node, a, name: name)
        case "Concat":
            try importConcat(node, a, name: name)
        case "Add", "Sub", "Mul", "Div":
            try importBinary(node, BinaryOperator(rawValue: node.opType.lowercased())!, name: name)
        case "Conv":
            try importConv(node, a, name: name)
        case "BatchNormalization":
            try importBatchNorm(node, a, name: name)
        case "Gemm":
            try importGemm(node, a, name: name)
        case "MatMul":
            try importMatMul(node, name: name)
        case "Relu", "Sigmoid", "Tanh", "LeakyRelu":
            let x = try runtimeOnly(node, name: name)
            let kind: StepKind = node.opType == "Relu" ? .relu : node.opType == "Sigmoid" ? .sigmoid
                : node.opType == "Tanh" ? .tanh : .leakyRelu(a.float("alpha", 0.01))
            bind(node, .runtime(try append(kind, inputs: [x], sampleShape: sampleShapes[x], node: name)))
        case "MaxPool", "AveragePool":
            try importPool(node, a, name: name)
        case "GlobalAveragePool":
            let x = try runtimeOnly(node, name: name)
            guard sampleShapes[x].count == 3 else { throw fail(name, "GlobalAveragePool on a tensor of sample shape \(sampleShapes[x]); robust pools [N, C, H, W] only") }
            let c = sampleShapes[x][0]
            let pooled = try append(.globalAvgPool, inputs: [x], sampleShape: [c], node: name)
            bind(node, .runtime(try append(.reshape([c, 1, 1]), inputs: [pooled], sampleShape: [c, 1, 1], node: name + "/reshape")))
        case "Flatten":
            let x = try runtimeOnly(node, name: name)
            let rank = sampleShapes[x].count + 1
            let axis = a.int("axis", 1)
            guard axis == 1 || axis == 1 - rank else { throw fail(name, "Flatten with axis \(axis) would merge the batch with other dimensions; robust needs axis 1") }
            bind(node, .runtime(try append(.flatten, inputs: [x], sampleShape: [sampleShapes[x].reduce(1, *)], node: name)))
        case "Reshape":
            try importReshape(node, a, name: name)
        case "Transpose":
            try importTranspose(node, a, name: name)
        case "Pad":
            try importPad(node, a, name: name)
        case "Softmax", "LogSoftmax":
            guard isLast else {
                throw fail(name, "\(node.opType) inside the graph; robust accepts it only as the last node (where it is stripped)")
            }
            let x = try runtimeOnly(node, name: name)
            notes.append("The model ends in \(node.opType) (node '\(name)'); robust strips it and attacks the logits before it, because attacking probabilities masks gradients.")
            bind(node, .runtime(x))
        default:
            throw fail(name, "op '\(node.opType)' is not supported; supported: \(supportedONNXOperators.joined(separator: ", "))")
        }
    }

    /// The node's first input, which every operator has.
    private func firstInput(_ node: Onnx_NodeProto, name: String) throws -> Value {
        guard let v = try input(node, 0, name: name) else { throw fail(name, "has no input") }
        return v
    }

    /// The node's first input, which must be computed from the image (constants fold elsewhere).
    private func runtimeOnly(_ node: Onnx_NodeProto, name: String) throws -> Int {
        let v = try firstInput(node, name: name)
        guard case .runtime(let id) = v else {
            throw fail(name, "\(node.opType) of a constant is not folded by robust; simplify the model (onnxsim) and re-export")
        }
        return id
    }

    private func constantAttribute(_ a: Attributes, name: String) throws -> Constant {
        if let t = a.tensor("value") { return try decoder.decode(t, what: "node '\(name)' value") }
        if a.has("value_float") { return Constant(shape: [], values: .float([a.float("value_float", 0)])) }
        if let f = a.floats("value_floats") { return Constant(shape: [f.count], values: .float(f)) }
        if a.has("value_int") { return Constant(ints: [a.int("value_int", 0)], shape: []) }
        if let i = a.ints("value_ints") { return Constant(ints: i) }
        throw fail(name, "Constant without a value, value_float(s) or value_int(s) attribute (sparse and string constants are not supported)")
    }

    /// Per-axis lists from an attribute (opsets before 13) or an input (13 and later).
    private func axesArgument(_ node: Onnx_NodeProto, _ a: Attributes, name: String) throws -> [Int]? {
        if let axes = a.ints("axes") { return axes }
        guard let c = try constantInput(node, 1, name: name, what: "axes") else { return nil }
        guard let axes = c.ints else { throw fail(name, "axes are not integers") }
        return axes
    }

    // MARK: The shape chain (folded)

    private mutating func importShape(_ node: Onnx_NodeProto, _ a: Attributes, name: String) throws {
        let v = try firstInput(node, name: name)
        let dims: [Dim]
        switch v {
        case .constant(let c): dims = c.shape.map { .fixed($0) }
        case .runtime(let id): dims = [.batch] + sampleShapes[id].map { .fixed($0) }
        }
        let rank = dims.count
        func clamp(_ i: Int) -> Int { min(max(i < 0 ? i + rank : i, 0), rank) }
        let start = clamp(a.int("start", 0)), end = clamp(a.int("end", rank))
        let picked = start < end ? Array(dims[start..<end]) : []
        bind(node, .constant(Constant(shape: [picked.count], values: .int(picked))))
    }

    private mutating func importGather(_ node: Onnx_NodeProto, _ a: Attributes, name: String) throws {
        guard let data = try constantInput(node, 0, name: name, what: "data (Gather on image data)"),
              let indices = try constantInput(node, 1, name: name, what: "indices"), let idx = indices.ints else {
            throw fail(name, "Gather needs constant data and integer indices")
        }
        let rank = data.shape.count
        var axis = a.int("axis", 0)
        if axis < 0 { axis += rank }
        guard (0..<max(rank, 1)).contains(axis), rank > 0 else { throw fail(name, "Gather axis \(a.int("axis", 0)) for data of rank \(rank)") }
        let size = data.shape[axis]
        let outer = data.shape[..<axis].reduce(1, *), inner = data.shape[(axis + 1)...].reduce(1, *)
        let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
        guard checkedElementCount(shape.map(Int64.init)) != nil else {
            throw fail(name, "Gather makes a constant of shape \(shape), over \(maximumTensorElements) elements; the file is corrupt")
        }
        var flat: [Int] = []
        for o in 0..<outer {
            for i in idx {
                let j = i < 0 ? i + size : i
                guard (0..<size).contains(j) else { throw fail(name, "Gather index \(i) out of range for dimension of size \(size)") }
                for k in 0..<inner { flat.append((o * size + j) * inner + k) }
            }
        }
        bind(node, .constant(data.picking(flat, shape: shape)))
    }

    private mutating func importSqueeze(_ node: Onnx_NodeProto, _ a: Attributes, name: String) throws {
        let v = try firstInput(node, name: name)
        let axes = try axesArgument(node, a, name: name)
        let shape: [Int]
        switch v {
        case .constant(let c): shape = c.shape
        case .runtime(let id): shape = [1] + sampleShapes[id] // the batch stands in as 1; it must not move
        }
        var out: [Int]
        if node.opType == "Unsqueeze" {
            guard let axes else { throw fail(name, "Unsqueeze without axes") }
            let rank = shape.count + axes.count
            let normalized = Set(axes.map { $0 < 0 ? $0 + rank : $0 })
            guard normalized.count == axes.count, normalized.allSatisfy({ (0..<rank).contains($0) }) else {
                throw fail(name, "Unsqueeze axes \(axes) invalid for rank \(shape.count)")
            }
            var rest = shape.makeIterator()
            out = (0..<rank).map { normalized.contains($0) ? 1 : rest.next()! }
            if case .runtime = v, normalized.contains(0) { throw fail(name, "Unsqueeze before the batch dimension; robust keeps the batch first") }
        } else {
            let rank = shape.count
            let normalized = Set((axes ?? shape.indices.filter { shape[$0] == 1 }).map { $0 < 0 ? $0 + rank : $0 })
            guard normalized.allSatisfy({ (0..<rank).contains($0) && shape[$0] == 1 }) else {
                throw fail(name, "Squeeze axes \(axes ?? []) do not name dimensions of size 1 in shape \(shape)")
            }
            if case .runtime = v, normalized.contains(0) { throw fail(name, "Squeeze of the batch dimension; robust keeps the batch first") }
            out = shape.indices.filter { !normalized.contains($0) }.map { shape[$0] }
        }
        switch v {
        case .constant(let c): bind(node, .constant(c.reshaped(out)))
        case .runtime(let id):
            let sample = Array(out.dropFirst())
            bind(node, .runtime(try append(.reshape(sample), inputs: [id], sampleShape: sample, node: name)))
        }
    }

    private mutating func importConcat(_ node: Onnx_NodeProto, _ a: Attributes, name: String) throws {
        var parts: [Constant] = []
        for i in node.input.indices where !node.input[i].isEmpty {
            guard let c = try constantInput(node, i, name: name, what: "input \(i) (Concat of image data)") else { continue }
            parts.append(c)
        }
        guard let first = parts.first else { throw fail(name, "Concat without inputs") }
        let rank = first.shape.count
        var axis = a.int("axis", 0)
        if axis < 0 { axis += rank }
        guard (0..<rank).contains(axis),
              parts.allSatisfy({ $0.shape.count == rank && zip($0.shape, first.shape).enumerated().allSatisfy { $0.offset == axis || $0.element.0 == $0.element.1 } }) else {
            throw fail(name, "Concat of shapes \(parts.map(\.shape)) along axis \(a.int("axis", 0))")
        }
        let outer = first.shape[..<axis].reduce(1, *)
        var floats: [Float] = [], dims: [Dim] = []
        let allInt = parts.allSatisfy { if case .int = $0.values { return true } else { return false } }
        for o in 0..<outer {
            for p in parts {
                let block = p.shape[axis...].reduce(1, *)
                if allInt { dims += p.dims![(o * block)..<((o + 1) * block)] } else {
                    guard let f = p.floats else { throw fail(name, "Concat of a symbolic shape with floats") }
                    floats += f[(o * block)..<((o + 1) * block)]
                }
            }
        }
        var shape = first.shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        bind(node, .constant(Constant(shape: shape, values: allInt ? .int(dims) : .float(floats))))
    }

    // MARK: Arithmetic

    private mutating func importBinary(_ node: Onnx_NodeProto, _ op: BinaryOperator, name: String) throws {
        guard let lhs = try input(node, 0, name: name), let rhs = try input(node, 1, name: name) else {
            throw fail(name, "\(node.opType) needs two inputs")
        }
        switch (lhs, rhs) {
        case let (.constant(a), .constant(b)):
            bind(node, .constant(try foldBinary(op, a, b, name: name)))
        case let (.runtime(x), .runtime(y)):
            let shapeX = [1] + sampleShapes[x], shapeY = [1] + sampleShapes[y]
            guard shapeX.count == shapeY.count, let out = broadcastShape(shapeX, shapeY) else {
                throw fail(name, "\(node.opType) of shapes [N] + \(sampleShapes[x]) and [N] + \(sampleShapes[y]), which do not broadcast")
            }
            bind(node, .runtime(try append(.binary(op), inputs: [x, y], sampleShape: Array(out.dropFirst()), node: name)))
        case let (.runtime(x), .constant(c)), let (.constant(c), .runtime(x)):
            let constantFirst: Bool
            if case .constant = lhs { constantFirst = true } else { constantFirst = false }
            guard let tensor = c.tensor else { throw fail(name, "\(node.opType) of image data with a symbolic shape value") }
            let full = [1] + sampleShapes[x]
            guard tensor.rank <= full.count, tensor.rank < full.count || tensor.shape[0] == 1,
                  let out = broadcastShape(full, tensor.shape), out.count == full.count else {
                throw fail(name, "\(node.opType) of [N] + \(sampleShapes[x]) with a constant of shape \(tensor.shape): it would change the batch dimension or does not broadcast")
            }
            if try !foldIntoPrevious(op, x: x, constant: tensor, constantFirst: constantFirst, node: node, name: name) {
                // Sub of a per-channel constant from an image starts a Normalize (Div or Mul by std may follow).
                if op == .sub, !constantFirst, let mean = perChannel(tensor, sample: sampleShapes[x]) {
                    bind(node, .runtime(try append(.normalize(mean: mean, std: nil, inverseStd: [Float](repeating: 1, count: mean.count)),
                                               inputs: [x], sampleShape: sampleShapes[x], node: name)))
                } else {
                    bind(node, .runtime(try append(.constantOperand(op, tensor, constantFirst: constantFirst), inputs: [x],
                                               sampleShape: Array(out.dropFirst()), node: name)))
                }
            }
        }
    }

    /// Folds `x op constant` into the step that made x when it can: a Div or Mul by std after a
    /// Sub of the mean (Normalize), an Add of a bias after a MatMul (Linear). True when folded.
    private mutating func foldIntoPrevious(_ op: BinaryOperator, x: Int, constant: Tensor, constantFirst: Bool,
                                           node: Onnx_NodeProto, name: String) throws -> Bool {
        guard !constantFirst, foldable(x) else { return false }
        switch (steps[x - 1].kind, op) {
        case let (.normalize(mean, nil, inverse), .div) where inverse.allSatisfy { $0 == 1 }:
            guard let std = perChannel(constant, sample: sampleShapes[x]), std.count == mean.count || std.count == 1,
                  std.allSatisfy({ $0 > 0 && $0.isFinite }) else { return false }
            steps[x - 1].kind = .normalize(mean: mean, std: std.count == 1 ? [Float](repeating: std[0], count: mean.count) : std, inverseStd: inverse)
        case let (.normalize(mean, nil, inverse), .mul) where inverse.allSatisfy { $0 == 1 }:
            guard let scale = perChannel(constant, sample: sampleShapes[x]), scale.count == mean.count || scale.count == 1,
                  scale.allSatisfy({ $0 > 0 && $0.isFinite }) else { return false }
            steps[x - 1].kind = .normalize(mean: mean, std: nil, inverseStd: scale.count == 1 ? [Float](repeating: scale[0], count: mean.count) : scale)
        case let (.linear(weight, nil), .add):
            let out = weight.shape[0]
            guard constant.count == out, constant.shape.last == out || constant.count == 1 else { return false }
            steps[x - 1].kind = .linear(weight: weight, bias: Tensor(shape: [out], storage: constant.storage))
        default:
            return false
        }
        bind(node, .runtime(x))
        return true
    }

    /// A constant's values per channel of an image `[C, H, W]` when it is a scalar or constant over
    /// H and W (shapes `[]`, `[1]`, `[C, 1, 1]`, `[1, C, 1, 1]`), else nil.
    private func perChannel(_ t: Tensor, sample: [Int]) -> [Float]? {
        guard sample.count == 3 else { return nil }
        let c = sample[0]
        if t.count == 1 { return [Float](repeating: t.storage[0], count: c) }
        let trailing = Array(t.shape.drop { $0 == 1 })
        guard trailing == [c, 1, 1] || trailing == [c] && t.rank >= 3 && Array(t.shape.suffix(2)) == [1, 1] else { return nil }
        return t.storage
    }

    private func foldBinary(_ op: BinaryOperator, _ a: Constant, _ b: Constant, name: String) throws -> Constant {
        guard let shape = broadcastShape(a.shape, b.shape) else { throw fail(name, "constants of shapes \(a.shape) and \(b.shape) do not broadcast") }
        guard checkedElementCount(shape.map(Int64.init)) != nil else {
            throw fail(name, "constants of shapes \(a.shape) and \(b.shape) broadcast to over \(maximumTensorElements) elements; the file is corrupt")
        }
        if case .int = a.values, case .int = b.values, let x = a.dims, let y = b.dims {
            // Shape arithmetic: exact in integers; a symbolic batch survives only + 0, - 0, * 1 and / 1.
            var out: [Dim] = []
            let count = shape.reduce(1, *)
            let mapA = broadcastIndices(output: shape, input: a.shape), mapB = broadcastIndices(output: shape, input: b.shape)
            for i in 0..<count {
                switch (x[mapA[i]], y[mapB[i]]) {
                case let (.fixed(p), .fixed(q)):
                    if op == .div && q == 0 { throw fail(name, "integer division by zero") }
                    let (value, overflow) = op == .add ? p.addingReportingOverflow(q) : op == .sub ? p.subtractingReportingOverflow(q)
                        : op == .mul ? p.multipliedReportingOverflow(by: q) : p.dividedReportingOverflow(by: q)
                    guard !overflow else { throw fail(name, "integer overflow folding \(p) \(op.rawValue) \(q); the file is corrupt") }
                    out.append(.fixed(value))
                case (.batch, .fixed(let q)) where (op == .add || op == .sub) && q == 0 || (op == .mul || op == .div) && q == 1:
                    out.append(.batch)
                case (.fixed(let p), .batch) where op == .add && p == 0 || op == .mul && p == 1:
                    out.append(.batch)
                default:
                    throw fail(name, "arithmetic on the symbolic batch size; robust folds shapes only where the batch passes through unchanged")
                }
            }
            return Constant(shape: shape, values: .int(out))
        }
        guard let ta = a.tensor, let tb = b.tensor else { throw fail(name, "arithmetic mixing a symbolic shape and floats") }
        return Constant(broadcastApply(op, ta, tb))
    }

    // MARK: Layers with weights

    private mutating func importConv(_ node: Onnx_NodeProto, _ a: Attributes, name: String) throws {
        let x = try runtimeOnly(node, name: name)
        guard let w = try constantInput(node, 1, name: name, what: "weight"), let weight = w.tensor, weight.rank == 4 else {
            throw fail(name, "Conv needs a constant 4-D weight [out, in, kh, kw] (robust imports 2-D convolutions)")
        }
        let bias = try constantInput(node, 2, name: name, what: "bias")?.tensor
        let sample = sampleShapes[x]
        let (o, c, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        guard a.int("group", 1) == 1 else { throw fail(name, "grouped convolution (group \(a.int("group", 1))); robust supports group 1") }
        guard (a.ints("dilations") ?? [1, 1]).allSatisfy({ $0 == 1 }) else { throw fail(name, "dilated convolution \(a.ints("dilations")!); robust supports dilation 1") }
        guard sample.count == 3, sample[0] == c, o > 0, kh > 0, kw > 0 else {
            throw fail(name, "Conv weight \(weight.shape) does not fit input [N] + \(sample) (input channels must equal weight.shape[1])")
        }
        if let bias, bias.count != o { throw fail(name, "Conv bias has \(bias.count) values for \(o) output channels") }
        let strides = a.ints("strides") ?? [1, 1]
        guard strides.count == 2, strides[0] == strides[1], strides[0] > 0, strides[0] < 1 << 16 else { throw fail(name, "strides \(strides); robust supports equal positive strides below 65536") }
        let pads = try padding(a, name: name, input: sample, kernel: [kh, kw], stride: strides[0])
        var input = x, shape = sample
        let symmetric = pads[0] == pads[1] && pads[1] == pads[2] && pads[2] == pads[3]
        if !symmetric {
            shape = [shape[0], shape[1] + pads[0] + pads[2], shape[2] + pads[1] + pads[3]]
            input = try append(.pad(top: pads[0], left: pads[1], bottom: pads[2], right: pads[3], value: 0), inputs: [x], sampleShape: shape, node: name + "/pad")
        }
        let p = symmetric ? pads[0] : 0
        guard shape[1] + 2 * p >= kh, shape[2] + 2 * p >= kw else { throw fail(name, "kernel \(kh)x\(kw) larger than the padded input \(shape)") }
        let out = [o, (shape[1] + 2 * p - kh) / strides[0] + 1, (shape[2] + 2 * p - kw) / strides[0] + 1]
        bind(node, .runtime(try append(.conv(weight: weight, bias: bias, stride: strides[0], padding: p), inputs: [input], sampleShape: out, node: name)))
    }

    /// `[top, left, bottom, right]` from `pads` (ONNX order: begins then ends) or `auto_pad`.
    private func padding(_ a: Attributes, name: String, input: [Int], kernel: [Int], stride: Int) throws -> [Int] {
        let auto = a.string("auto_pad", "NOTSET")
        switch auto {
        case "NOTSET", "":
            let pads = a.ints("pads") ?? [0, 0, 0, 0]
            guard pads.count == 4, pads.allSatisfy({ $0 >= 0 && $0 < 1 << 16 }) else { throw fail(name, "pads \(pads); robust needs 4 non-negative 2-D pads") }
            return [pads[0], pads[1], pads[2], pads[3]]
        case "VALID":
            return [0, 0, 0, 0]
        case "SAME_UPPER", "SAME_LOWER":
            var begins = [0, 0], ends = [0, 0]
            for d in 0..<2 {
                let size = input[d + 1], out = (size + stride - 1) / stride
                let total = max((out - 1) * stride + kernel[d] - size, 0)
                let small = total / 2
                (begins[d], ends[d]) = auto == "SAME_UPPER" ? (small, total - small) : (total - small, small)
            }
            return [begins[0], begins[1], ends[0], ends[1]]
        default:
            throw fail(name, "auto_pad '\(auto)' is not an ONNX value")
        }
    }

    private mutating func importBatchNorm(_ node: Onnx_NodeProto, _ a: Attributes, name: String) throws {
        let x = try runtimeOnly(node, name: name)
        guard a.int("training_mode", 0) == 0, node.output.count <= 1 || node.output.dropFirst().allSatisfy({ uses[$0, default: 0] == 0 }) else {
            throw fail(name, "BatchNormalization in training mode; export the model in eval mode (model.eval())")
        }
        var params: [[Float]] = []
        for (i, what) in ["scale", "bias", "mean", "var"].enumerated() {
            guard let c = try constantInput(node, i + 1, name: name, what: what), let f = c.floats else {
                throw fail(name, "BatchNormalization needs its \(what) as a constant")
            }
            params.append(f)
        }
        let channels = sampleShapes[x].first ?? 0
        guard params.allSatisfy({ $0.count == channels }) else {
            throw fail(name, "BatchNormalization parameters of sizes \(params.map(\.count)) for \(channels) channels")
        }
        let eps = Double(a.float("epsilon", 1e-5))
        guard params[3].allSatisfy({ Double($0) + eps > 0 }) else { throw fail(name, "BatchNormalization variance + epsilon is not positive") }
        let scale = (0..<channels).map { Float(Double(params[0][$0]) / (Double(params[3][$0]) + eps).squareRoot()) }
        let shift = (0..<channels).map { Float(Double(params[1][$0]) - Double(params[2][$0]) * Double(scale[$0])) }
        // Folded into the convolution that made x: W'[o] = W[o] * s[o], b'[o] = b[o] * s[o] + t[o].
        if foldable(x), case let .conv(weight, bias, stride, padding) = steps[x - 1].kind {
            let perOut = weight.count / channels
            var w = weight
            for o in 0..<channels { for k in 0..<perOut { w.storage[o * perOut + k] *= scale[o] } }
            let b = (0..<channels).map { (bias?.storage[$0] ?? 0) * scale[$0] + shift[$0] }
            steps[x - 1].kind = .conv(weight: w, bias: Tensor(shape: [channels], storage: b), stride: stride, padding: padding)
            bind(node, .runtime(x))
            return
        }
        bind(node, .runtime(try append(.affine(scale: scale, shift: shift), inputs: [x], sampleShape: sampleShapes[x], node: name)))
    }

    private mutating func importGemm(_ node: Onnx_NodeProto, _ a: Attributes, name: String) throws {
        let x = try runtimeOnly(node, name: name)
        guard a.int("transA", 0) == 0 else { throw fail(name, "Gemm with transA = 1 on image data would mix samples; re-export without it") }
        guard let bc = try constantInput(node, 1, name: name, what: "B (weight)"), let b = bc.tensor, b.rank == 2 else {
            throw fail(name, "Gemm needs a constant 2-D B")
        }
        let alpha = a.float("alpha", 1), beta = a.float("beta", 1)
        var weight = a.int("transB", 0) == 1 ? b : Transpose.permute(b, [1, 0]) // [out, in]
        if alpha != 1 { weight.storage = weight.storage.map { $0 * alpha } }
        let (out, inFeatures) = (weight.shape[0], weight.shape[1])
        guard sampleShapes[x] == [inFeatures] else {
            throw fail(name, "Gemm weight expects \(inFeatures) features but its input is [N] + \(sampleShapes[x]); flatten first")
        }
        var bias: Tensor?
        if let cc = try constantInput(node, 2, name: name, what: "C (bias)"), let c = cc.tensor {
            guard c.count == out || c.count == 1, c.rank <= 2, c.rank < 2 || c.shape[0] == 1 else {
                throw fail(name, "Gemm C of shape \(c.shape) for \(out) outputs; robust needs a bias of shape [\(out)]")
            }
            let values = c.count == 1 ? [Float](repeating: c.storage[0], count: out) : c.storage
            bias = Tensor(shape: [out], storage: beta == 1 ? values : values.map { $0 * beta })
        }
        bind(node, .runtime(try append(.linear(weight: weight, bias: bias), inputs: [x], sampleShape: [out], node: name)))
    }

    private mutating func importMatMul(_ node: Onnx_NodeProto, name: String) throws {
        let x = try runtimeOnly(node, name: name)
        guard let bc = try constantInput(node, 1, name: name, what: "second operand"), let b = bc.tensor, b.rank == 2 else {
            throw fail(name, "MatMul needs a constant 2-D second operand (a Linear layer)")
        }
        guard sampleShapes[x] == [b.shape[0]] else {
            throw fail(name, "MatMul of [N] + \(sampleShapes[x]) by \(b.shape); robust imports MatMul as a Linear layer on [N, features]")
        }
        bind(node, .runtime(try append(.linear(weight: Transpose.permute(b, [1, 0]), bias: nil), inputs: [x], sampleShape: [b.shape[1]], node: name)))
    }

    // MARK: Pools and shapes

    private mutating func importPool(_ node: Onnx_NodeProto, _ a: Attributes, name: String) throws {
        let x = try runtimeOnly(node, name: name)
        let op = node.opType
        if op == "MaxPool", node.output.count > 1, uses[node.output[1], default: 0] > 0 {
            throw fail(name, "MaxPool's Indices output is used; robust supports the pooled values only")
        }
        let sample = sampleShapes[x]
        guard sample.count == 3, let kernel = a.ints("kernel_shape"), kernel.count == 2, kernel[0] == kernel[1], kernel[0] > 0,
              kernel[0] < 1 << 16 else {
            throw fail(name, "\(op) needs a square 2-D kernel_shape on [N, C, H, W], got \(a.ints("kernel_shape") ?? []) on [N] + \(sample)")
        }
        let k = kernel[0]
        guard (a.ints("dilations") ?? [1, 1]).allSatisfy({ $0 == 1 }) else { throw fail(name, "dilated pooling; robust supports dilation 1") }
        let strides = a.ints("strides") ?? [1, 1]
        guard strides.count == 2, strides[0] == strides[1], strides[0] > 0, strides[0] < 1 << 16 else { throw fail(name, "strides \(strides); robust supports equal positive strides below 65536") }
        let s = strides[0]
        var pads = try padding(a, name: name, input: sample, kernel: kernel, stride: s)
        if a.int("ceil_mode", 0) == 1 {
            // Ceil mode adds output rows only when the window does not tile the padded input exactly.
            for d in 0..<2 where (sample[d + 1] + pads[d] + pads[d + 2] - k) % s != 0 {
                throw fail(name, "\(op) with ceil_mode = 1 changes the output size here; re-export with ceil_mode=False")
            }
        }
        let countIncludePad = a.int("count_include_pad", 0) == 1
        var input = x, shape = sample
        let symmetric = pads.allSatisfy { $0 == pads[0] } && pads[0] <= k / 2
        if !symmetric {
            guard op == "MaxPool" || countIncludePad || pads.allSatisfy({ $0 == 0 }) else {
                throw fail(name, "AveragePool with asymmetric pads \(pads) and count_include_pad = 0 is not supported")
            }
            shape = [shape[0], shape[1] + pads[0] + pads[2], shape[2] + pads[1] + pads[3]]
            input = try append(.pad(top: pads[0], left: pads[1], bottom: pads[2], right: pads[3], value: op == "MaxPool" ? -.infinity : 0),
                           inputs: [x], sampleShape: shape, node: name + "/pad")
            pads = [0, 0, 0, 0]
        }
        let p = pads[0]
        guard shape[1] + 2 * p >= k, shape[2] + 2 * p >= k else { throw fail(name, "\(op) window \(k) larger than the input [N] + \(shape)") }
        let out = [shape[0], (shape[1] + 2 * p - k) / s + 1, (shape[2] + 2 * p - k) / s + 1]
        let kind: StepKind = op == "MaxPool" ? .maxPool(kernel: k, stride: s, padding: p)
            : .avgPool(kernel: k, stride: s, padding: p, countIncludePad: countIncludePad)
        bind(node, .runtime(try append(kind, inputs: [input], sampleShape: out, node: name)))
    }

    private mutating func importReshape(_ node: Onnx_NodeProto, _ a: Attributes, name: String) throws {
        guard let v = try input(node, 0, name: name), let target = try constantInput(node, 1, name: name, what: "target shape"),
              let dims = target.dims else {
            throw fail(name, "Reshape needs a target shape that is fixed in the file or folded from Shape")
        }
        let allowZero = a.int("allowzero", 0) == 1
        switch v {
        case .constant(let c):
            guard let ints = target.ints else { throw fail(name, "Reshape of a constant to a symbolic shape") }
            let resolved = try resolveShape(ints, input: c.shape, allowZero: allowZero, name: name)
            bind(node, .constant(c.reshaped(resolved)))
        case .runtime(let x):
            let sample = sampleShapes[x], size = sample.reduce(1, *)
            guard let first = dims.first else { throw fail(name, "Reshape to a scalar") }
            // The first target dimension must be the batch: symbolic, 0 (copy), -1 with the rest one sample, or the declared batch.
            let rest = try Array(dims.dropFirst()).map { d -> Int in
                guard let v = d.fixedValue else { throw fail(name, "Reshape moves the batch dimension (target \(dims)); robust keeps it first") }
                return v
            }
            let firstIsBatch: Bool
            switch first {
            case .batch: firstIsBatch = true
            case .fixed(let f): firstIsBatch = f == 0 && !allowZero || f == -1 || declaredBatch == f
            }
            guard firstIsBatch else { throw fail(name, "Reshape target \(dims) does not keep the batch dimension first") }
            let resolved = try resolveShape(rest, input: sample, allowZero: allowZero, name: name, offset: 1)
            guard resolved.reduce(1, *) == size else {
                throw fail(name, "Reshape of [N] + \(sample) to [N] + \(resolved) changes the size of a sample")
            }
            let kind: StepKind = resolved.count == 1 ? .flatten : .reshape(resolved)
            bind(node, .runtime(try append(kind, inputs: [x], sampleShape: resolved, node: name)))
        }
    }

    /// ONNX Reshape's rules: 0 copies the input's dimension (at the same position), one -1 is inferred.
    private func resolveShape(_ target: [Int], input: [Int], allowZero: Bool, name: String, offset: Int = 0) throws -> [Int] {
        var out = target
        let total = input.reduce(1, *)
        for (i, d) in target.enumerated() where d == 0 && !allowZero {
            guard i + offset < input.count + offset, i < input.count else { throw fail(name, "Reshape copies dimension \(i + offset) that the input lacks") }
            out[i] = input[i]
        }
        let inferred = out.indices.filter { out[$0] == -1 }
        guard inferred.count <= 1, out.allSatisfy({ $0 >= -1 }),
              let known = checkedElementCount(out.filter { $0 != -1 }.map(Int64.init)) else {
            throw fail(name, "Reshape target \(target) is invalid (more than one -1, a negative size, or over \(maximumTensorElements) elements)")
        }
        if let i = inferred.first {
            guard known > 0, total % known == 0 else { throw fail(name, "Reshape target \(target) does not divide \(total) elements") }
            out[i] = total / known
        }
        guard out.reduce(1, *) == total else { throw fail(name, "Reshape of \(input) to \(out) changes the element count") }
        return out
    }

    private mutating func importTranspose(_ node: Onnx_NodeProto, _ a: Attributes, name: String) throws {
        let v = try firstInput(node, name: name)
        switch v {
        case .constant(let c):
            let rank = c.shape.count
            let perm = a.ints("perm") ?? Array((0..<rank).reversed())
            guard perm.sorted() == Array(0..<rank) else { throw fail(name, "perm \(perm) for rank \(rank)") }
            let (shape, index) = NN.Transpose.permutedIndices(c.shape, perm)
            bind(node, .constant(c.picking(index, shape: shape)))
        case .runtime(let x):
            let rank = sampleShapes[x].count + 1
            let perm = a.ints("perm") ?? Array((0..<rank).reversed())
            guard perm.sorted() == Array(0..<rank), perm.first == 0 else {
                throw fail(name, "Transpose perm \(perm) moves the batch dimension; robust keeps it first")
            }
            let sample = perm.dropFirst().map { sampleShapes[x][$0 - 1] }
            bind(node, .runtime(try append(.transpose(perm), inputs: [x], sampleShape: sample, node: name)))
        }
    }

    private mutating func importPad(_ node: Onnx_NodeProto, _ a: Attributes, name: String) throws {
        let x = try runtimeOnly(node, name: name)
        let mode = a.string("mode", "constant")
        guard mode == "constant" else { throw fail(name, "Pad mode '\(mode)'; robust supports constant padding") }
        let sample = sampleShapes[x]
        guard sample.count == 3 else { throw fail(name, "Pad of [N] + \(sample); robust pads [N, C, H, W]") }
        let pads: [Int]
        if let attr = a.ints("pads") { pads = attr } else {
            guard let c = try constantInput(node, 1, name: name, what: "pads"), let p = c.ints else { throw fail(name, "Pad without pads") }
            pads = p
        }
        if let axes = try constantInput(node, 3, name: name, what: "axes") {
            throw fail(name, "Pad with an axes input \(axes.ints ?? []); re-export with opset 17 or lower")
        }
        let value = try constantInput(node, 2, name: name, what: "constant_value")?.floats?.first ?? a.float("value", 0)
        guard pads.count == 8, pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0 else {
            throw fail(name, "Pad \(pads) pads the batch or channel dimension; robust pads H and W only")
        }
        guard pads.allSatisfy({ $0 >= 0 && $0 < 1 << 16 }) else { throw fail(name, "Pad \(pads): negative (cropping) or huge pads are not supported") }
        let (top, left, bottom, right) = (pads[2], pads[3], pads[6], pads[7])
        bind(node, .runtime(try append(.pad(top: top, left: left, bottom: bottom, right: right, value: value), inputs: [x],
                                   sampleShape: [sample[0], sample[1] + top + bottom, sample[2] + left + right], node: name)))
    }
}
