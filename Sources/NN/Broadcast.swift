/// Elementwise arithmetic with NumPy broadcasting (ONNX `Add`, `Sub`, `Mul`, `Div`): shapes are
/// aligned on the right and a dimension of 1 stretches to the other's size.
public enum BinaryOperator: String, Sendable, CaseIterable {
    case add, sub, mul, div

    @inline(__always)
    func apply(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        }
    }
}

/// The broadcast shape of `a` and `b`, or nil when a dimension differs and neither is 1.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    let pa = [Int](repeating: 1, count: rank - a.count) + a, pb = [Int](repeating: 1, count: rank - b.count) + b
    var out = [Int]()
    for (x, y) in zip(pa, pb) {
        guard x == y || x == 1 || y == 1 else { return nil }
        out.append(x == 1 ? y : x)
    }
    return out
}

/// For each element of a tensor of shape `output`, the flat index of the element of a tensor of
/// shape `input` (broadcast to `output`) that it reads, in row-major order of `output`.
public func broadcastIndices(output: [Int], input: [Int]) -> [Int] {
    let rank = output.count
    let padded = [Int](repeating: 1, count: rank - input.count) + input
    var strides = [Int](repeating: 0, count: rank)
    var running = 1
    for d in stride(from: rank - 1, through: 0, by: -1) {
        strides[d] = padded[d] == 1 ? 0 : running
        running *= padded[d]
    }
    return stridedIndices(shape: output, strides: strides)
}

/// The source offset of every element of a tensor of `shape`, in row-major order, when dimension d
/// advances the source by `strides[d]` (0 for a broadcast dimension, a permuted stride for a
/// transpose): the odometer both walks share.
func stridedIndices(shape: [Int], strides: [Int]) -> [Int] {
    let rank = shape.count, count = shape.reduce(1, *)
    var out = [Int](repeating: 0, count: count)
    var index = [Int](repeating: 0, count: rank)
    var source = 0
    for flat in 0..<count {
        out[flat] = source
        var d = rank - 1
        while d >= 0 {
            index[d] += 1
            source += strides[d]
            if index[d] < shape[d] { break }
            source -= strides[d] * shape[d]
            index[d] = 0
            d -= 1
        }
    }
    return out
}

/// `op(a, b)` elementwise with broadcasting; the shapes must broadcast (callers check first).
public func broadcastApply(_ op: BinaryOperator, _ a: Tensor, _ b: Tensor) -> Tensor {
    if a.shape == b.shape {
        return Tensor(shape: a.shape, storage: zip(a.storage, b.storage).map { op.apply($0, $1) })
    }
    guard let shape = broadcastShape(a.shape, b.shape) else { preconditionFailure("broadcast: shapes \(a.shape) and \(b.shape) do not broadcast") }
    let ia = broadcastIndices(output: shape, input: a.shape), ib = broadcastIndices(output: shape, input: b.shape)
    var out = [Float](repeating: 0, count: ia.count)
    for i in 0..<out.count { out[i] = op.apply(a.storage[ia[i]], b.storage[ib[i]]) }
    return Tensor(shape: shape, storage: out)
}

/// Sums `t` over the dimensions a broadcast from `shape` stretched: the gradient of a broadcast input.
public func sumToShape(_ t: Tensor, _ shape: [Int]) -> Tensor {
    if t.shape == shape { return t }
    let index = broadcastIndices(output: t.shape, input: shape)
    var out = [Float](repeating: 0, count: shape.reduce(1, *))
    for i in 0..<t.count { out[index[i]] += t.storage[i] }
    return Tensor(shape: shape, storage: out)
}

/// The gradients of `op(a, b)` with respect to `a` and `b`, given dL/dy.
func broadcastGradients(_ op: BinaryOperator, _ a: Tensor, _ b: Tensor, _ dY: Tensor) -> (dA: Tensor, dB: Tensor) {
    switch op {
    case .add:
        return (sumToShape(dY, a.shape), sumToShape(dY, b.shape))
    case .sub:
        let dB = sumToShape(dY, b.shape)
        return (sumToShape(dY, a.shape), Tensor(shape: dB.shape, storage: dB.storage.map { -$0 }))
    case .mul:
        return (sumToShape(broadcastApply(.mul, dY, b), a.shape), sumToShape(broadcastApply(.mul, dY, a), b.shape))
    case .div:
        // y = a / b: dA = dY / b, dB = -dY * a / b^2 = -dY * y / b
        let y = broadcastApply(.div, a, b)
        let dA = broadcastApply(.div, dY, b)
        let dB = broadcastApply(.div, Tensor(shape: dY.shape, storage: zip(dY.storage, y.storage).map { -$0 * $1 }), b)
        return (sumToShape(dA, a.shape), sumToShape(dB, b.shape))
    }
}

/// `x op c` (or `c op x` with `constantFirst`) for a fixed tensor `c`: in-graph normalisation,
/// scaling, a bias the importer could not fold. No parameters.
public final class ConstantOperand: Layer {
    public let op: BinaryOperator
    public let constant: Tensor
    public let constantFirst: Bool
    public var isTraining = false
    private var input: Tensor?

    public init(_ op: BinaryOperator, constant: Tensor, constantFirst: Bool = false) {
        self.op = op
        self.constant = constant
        self.constantFirst = constantFirst
    }

    // x: any shape broadcastable with c -> y: the broadcast shape
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        precondition(broadcastShape(x.shape, constant.shape) != nil,
                     "ConstantOperand: input shape \(x.shape) does not broadcast with constant \(constant.shape)")
        input = x
        return constantFirst ? broadcastApply(op, constant, x) : broadcastApply(op, x, constant)
    }

    // dY -> dX, summed back to x's shape where x was broadcast
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let x = input else { preconditionFailure("ConstantOperand: backward called before forward") }
        return constantFirst ? broadcastGradients(op, constant, x, dY).dB : broadcastGradients(op, x, constant, dY).dA
    }
}

/// `a op b` for two computed tensors (a residual `Add`): the one graph operation with two inputs.
public final class BinaryOperation: GraphOperation {
    public let op: BinaryOperator
    public var isTraining = false
    private var inputs: (Tensor, Tensor)?

    public init(_ op: BinaryOperator) { self.op = op }

    // [a, b] -> op(a, b), broadcast
    public func forward(_ inputs: [Tensor], context: ExecutionContext) -> Tensor {
        precondition(inputs.count == 2 && broadcastShape(inputs[0].shape, inputs[1].shape) != nil,
                     "BinaryOperation: inputs \(inputs.map(\.shape)) do not broadcast")
        self.inputs = (inputs[0], inputs[1])
        return broadcastApply(op, inputs[0], inputs[1])
    }

    // dY -> [dA, dB]
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> [Tensor] {
        guard let (a, b) = inputs else { preconditionFailure("BinaryOperation: backward called before forward") }
        let (dA, dB) = broadcastGradients(op, a, b, dY)
        return [dA, dB]
    }
}
