/// Gives each sample a new shape with the same element count: `[N, ...] -> [N] + sampleShape`.
///
/// The batch dimension is kept as it comes, so one layer serves every batch size (an ONNX
/// `Reshape` to `[N, C, 1, 1]` or `[N, 784]`, with N symbolic).
public final class Reshape: Layer {
    public let sampleShape: [Int]
    public var isTraining = false
    private var inputShape: [Int]?

    public init(sampleShape: [Int]) {
        precondition(sampleShape.allSatisfy { $0 > 0 }, "Reshape: bad sample shape \(sampleShape)")
        self.sampleShape = sampleShape
    }

    // x: [N, ...] -> y: [N] + sampleShape
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        precondition(x.rank >= 1 && x.count == x.shape[0] * sampleShape.reduce(1, *),
                     "Reshape: cannot give input of shape \(x.shape) the sample shape \(sampleShape)")
        inputShape = x.shape
        return x.reshaped([x.shape[0]] + sampleShape)
    }

    // dY: [N] + sampleShape -> dX: the input's shape
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("Reshape: backward called before forward") }
        precondition(dY.count == shape.reduce(1, *), "Reshape.backward: dY shape \(dY.shape) does not match input \(shape)")
        return dY.reshaped(shape)
    }
}

/// Permutes dimensions: `y.shape[i] = x.shape[permutation[i]]` (ONNX `Transpose`, `torch.permute`).
///
/// The batch dimension must stay first (`permutation[0] == 0`), so samples stay independent.
public final class Transpose: Layer {
    public let permutation: [Int]
    public var isTraining = false
    private var inputShape: [Int]?

    public init(permutation: [Int]) {
        precondition(permutation.first == 0 && permutation.sorted() == Array(permutation.indices),
                     "Transpose: \(permutation) is not a permutation keeping the batch dimension first")
        self.permutation = permutation
    }

    // x: shape s -> y: shape [s[p0], s[p1], ...]
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        precondition(x.rank == permutation.count, "Transpose: permutation \(permutation) for input of shape \(x.shape)")
        inputShape = x.shape
        return Transpose.permute(x, permutation)
    }

    // dY -> dX = dY permuted back by the inverse permutation
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard inputShape != nil else { preconditionFailure("Transpose: backward called before forward") }
        var inverse = [Int](repeating: 0, count: permutation.count)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        return Transpose.permute(dY, inverse)
    }

    /// The permuted copy of `x`.
    public static func permute(_ x: Tensor, _ permutation: [Int]) -> Tensor {
        let (shape, source) = permutedIndices(x.shape, permutation)
        return Tensor(shape: shape, storage: source.map { x.storage[$0] })
    }

    /// The shape of a permuted tensor of `shape`, and the source index of each of its elements (what
    /// constant folding applies to integer tensors too).
    public static func permutedIndices(_ shape: [Int], _ permutation: [Int]) -> (shape: [Int], source: [Int]) {
        let rank = shape.count
        var strides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        let outShape = permutation.map { shape[$0] }
        return (outShape, stridedIndices(shape: outShape, strides: permutation.map { strides[$0] }))
    }
}
