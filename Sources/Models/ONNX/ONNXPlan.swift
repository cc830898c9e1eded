import NN

/// What one step of an imported graph computes. Kept as data (not layers) so later nodes can
/// fold into it (a BatchNormalization into its Conv, a bias Add into its MatMul, a Mul by 1/std
/// into its Sub), and so every micro-batch copy builds fresh layers over the same weights.
enum StepKind {
    case conv(weight: Tensor, bias: Tensor?, stride: Int, padding: Int)
    case pad(top: Int, left: Int, bottom: Int, right: Int, value: Float)
    case linear(weight: Tensor, bias: Tensor?)
    /// `(x - mean[c]) * inverseStd[c]`, or `/ std[c]` when `std` is given (a `Div` by it).
    case normalize(mean: [Float], std: [Float]?, inverseStd: [Float])
    case constantOperand(BinaryOperator, Tensor, constantFirst: Bool)
    case binary(BinaryOperator)
    case relu
    case leakyRelu(Float)
    case sigmoid
    case tanh
    case maxPool(kernel: Int, stride: Int, padding: Int)
    case avgPool(kernel: Int, stride: Int, padding: Int, countIncludePad: Bool)
    case globalAvgPool
    case flatten
    case reshape([Int])
    case transpose([Int])
    case affine(scale: [Float], shift: [Float])

    var isBinary: Bool { if case .binary = self { return true } else { return false } }

    /// A fresh operation for this step (weights shared, copy-on-write).
    func makeOperation() -> any GraphOperation {
        if case .binary(let op) = self { return BinaryOperation(op) }
        return LayerOperation(makeLayer())
    }

    /// A fresh layer for a one-input step.
    func makeLayer() -> any Layer {
        switch self {
        case let .conv(weight, bias, stride, padding):
            let conv = Conv2d(weight.shape[1], weight.shape[0], kernelSize: (weight.shape[2], weight.shape[3]), stride: stride,
                              padding: padding, bias: bias != nil, seed: 0)
            conv.weight.value = weight
            if let bias { conv.bias?.value = bias }
            return conv
        case let .pad(top, left, bottom, right, value):
            return ConstantPad2d(top: top, left: left, bottom: bottom, right: right, value: value)
        case let .linear(weight, bias):
            let linear = Linear(weight.shape[1], weight.shape[0], bias: bias != nil, seed: 0)
            linear.weight.value = weight
            if let bias { linear.bias?.value = bias }
            return linear
        case let .normalize(mean, std, inverseStd):
            if let std { return Normalize(mean: mean, std: std) }
            return Normalize(mean: mean, inverseStd: inverseStd)
        case let .constantOperand(op, constant, constantFirst):
            return ConstantOperand(op, constant: constant, constantFirst: constantFirst)
        case .binary:
            preconditionFailure("StepKind.makeLayer: a binary step has two inputs")
        case .relu: return ReLU()
        case .leakyRelu(let alpha): return LeakyReLU(alpha: alpha)
        case .sigmoid: return Sigmoid()
        case .tanh: return Tanh()
        case let .maxPool(kernel, stride, padding): return MaxPool2d(kernelSize: kernel, stride: stride, padding: padding)
        case let .avgPool(kernel, stride, padding, countIncludePad):
            return AvgPool2d(kernelSize: kernel, stride: stride, padding: padding, countIncludePad: countIncludePad)
        case .globalAvgPool: return GlobalAvgPool2d()
        case .flatten: return Flatten()
        case .reshape(let shape): return Reshape(sampleShape: shape)
        case .transpose(let permutation): return Transpose(permutation: permutation)
        case let .affine(scale, shift): return ChannelAffine(scale: scale, shift: shift)
        }
    }
}

/// One step: what it computes and the runtime values it reads (0 is the graph's input, step i writes value i + 1).
struct Step {
    var kind: StepKind
    var inputs: [Int]
    /// The ONNX node's name (or op and index), for messages and layer names.
    var node: String
}

/// An imported graph, ready to build networks from: the steps in topological order, cut into a
/// chain of segments wherever one value alone is live. A segment of one single-input step is
/// that layer; a branching segment (a residual block) is a `GraphBlock`. A chain is what lets
/// `NetworkClassifier` run the convolutional trunk in micro-batches and the dense head whole,
/// exactly as for a zoo network.
struct ImportedPlan {
    var steps: [Step]
    /// The value the graph returns (the logits).
    var output: Int

    /// `Sequential` of the segments; every call builds new layers over the same weights.
    func makeNetwork(prefix: [any Layer] = []) -> Sequential {
        var named: [(String, any Layer)] = prefix.enumerated().map { ("input\($0.offset)", $0.element) }
        for (n, segment) in segments().enumerated() {
            let first = segment.lowerBound
            if segment.count == 1, !steps[first].kind.isBinary {
                named.append(("\(n)", steps[first].kind.makeLayer()))
                continue
            }
            // Values inside the block: its input (the value live before it) is 0, step j is j + 1.
            let blockSteps = segment.map { i -> GraphBlock.Step in
                GraphBlock.Step(steps[i].kind.makeOperation(), inputs: steps[i].inputs.map { $0 == first ? 0 : $0 - first })
            }
            named.append(("\(n)", GraphBlock(steps: blockSteps, output: segment.count)))
        }
        return Sequential(named: named)
    }

    /// Ranges of step indices between cuts: after step i, the only value still needed is i + 1.
    func segments() -> [Range<Int>] {
        var lastUse = [Int](repeating: -1, count: steps.count + 1)
        for (i, step) in steps.enumerated() { for v in step.inputs { lastUse[v] = max(lastUse[v], i) } }
        lastUse[output] = steps.count
        var cuts: [Int] = [], start = 0
        for i in steps.indices {
            // Every value made before step i + 1 other than i + 1 is dead after step i.
            if !(0...i).contains(where: { lastUse[$0] > i }) { cuts.append(i + 1) }
        }
        var ranges: [Range<Int>] = []
        for cut in cuts where cut > start {
            ranges.append(start..<cut)
            start = cut
        }
        if start < steps.count { ranges.append(start..<steps.count) }
        return ranges
    }
}
