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
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 1 && x.count == x.shape[0] * sampleShape.reduce(1, *),
                     "Reshape: cannot give input of shape \(x.shape) the sample shape \(sampleShape)")
        inputShape = x.shape
        return x.reshaped([x.shape[0]] + sampleShape)
    }

    // dY: [N] + sampleShape -> dX: the input's shape
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool) -> Tensor {
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
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == permutation.count, "Transpose: permutation \(permutation) for input of shape \(x.shape)")
        inputShape = x.shape
        return Transpose.permute(x, permutation)
    }

    // dY -> dX = dY permuted back by the inverse permutation
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool) -> Tensor {
        guard inputShape != nil else { preconditionFailure("Transpose: backward called before forward") }
        var inverse = [Int](repeating: 0, count: permutation.count)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        return Transpose.permute(dY, inverse)
    }

    /// The permuted copy of `x`; also what constant folding uses.
    public static func permute(_ x: Tensor, _ permutation: [Int]) -> Tensor {
        let shape = x.shape, rank = shape.count
        var strides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        let outShape = permutation.map { shape[$0] }
        let outStrides = permutation.map { strides[$0] } // input stride of each output dimension
        var y = [Float](repeating: 0, count: x.count)
        var index = [Int](repeating: 0, count: rank)
        var source = 0
        for flat in 0..<x.count {
            y[flat] = x.storage[source]
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                source += outStrides[d]
                if index[d] < outShape[d] { break }
                source -= outStrides[d] * outShape[d]
                index[d] = 0
                d -= 1
            }
        }
        return Tensor(shape: outShape, storage: y)
    }
}
