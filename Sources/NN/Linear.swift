import Kernels

/// Fully connected layer `y = x W^T + b`, weight `[out, in]` as PyTorch's `nn.Linear`.
///
/// One GEMM over the whole batch: the GEMM splits rows and columns of the output, never the
/// reduction, so results are bit-identical whatever the thread count.
public final class Linear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    /// `[out, in]`.
    public let weight: Parameter
    /// `[out]`, or nil.
    public let bias: Parameter?
    public var isTraining = false
    private var input: Tensor?
    /// The input of the last `forward` (what per-sample gradient norms need), or nil before one.
    var lastInput: Tensor? { input }

    /// A linear layer with PyTorch's default initialisation: weight and bias uniform in
    /// `[-1/sqrt(in), 1/sqrt(in)]`, drawn from `SplitMix64(seed:)`.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, seed: UInt64) {
        precondition(inFeatures > 0 && outFeatures > 0, "Linear: bad size in \(inFeatures) out \(outFeatures)")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        var rng = SplitMix64(seed: seed)
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Parameter("weight", uniformTensor([outFeatures, inFeatures], bound: bound, rng: &rng))
        self.bias = bias ? Parameter("bias", uniformTensor([outFeatures], bound: bound, rng: &rng)) : nil
    }

    public var ownParameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    // x: [N, in], weight: [out, in], bias: [out] -> y: [N, out]
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == inFeatures,
                     "Linear: expected input of shape [N, \(inFeatures)], got shape \(x.shape)")
        let n = x.shape[0]
        var y = Tensor(shape: [n, outFeatures])
        x.withUnsafePointer { xp in
        weight.value.withUnsafePointer { wp in
        y.withUnsafeMutablePointer { yp in
            sgemm(.n, .t, m: n, n: outFeatures, k: inFeatures, a: xp, lda: inFeatures, b: wp, ldb: inFeatures,
                  c: yp, ldc: outFeatures, on: context)
            if let bias {
                for i in 0..<n {
                    for j in 0..<outFeatures { yp[i * outFeatures + j] += bias.value.storage[j] }
                }
            }
        }}}
        input = x
        return y
    }

    // dY: [N, out] -> dX: [N, in] = dY W; when asked dW += dY^T x [out, in], db += sum over N of dY.
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let x = input else { preconditionFailure("Linear: backward called before forward") }
        let n = x.shape[0]
        dY.expectShape([n, outFeatures], "Linear.backward dY for input \(x.shape)")
        var dX = Tensor(uninitializedShape: x.shape)  // the GEMM (beta 0) writes every element
        dY.withUnsafePointer { dyp in
            weight.value.withUnsafePointer { wp in
            dX.withUnsafeMutablePointer { dxp in
                sgemm(.n, .n, m: n, n: inFeatures, k: outFeatures, a: dyp, lda: outFeatures, b: wp, ldb: inFeatures,
                      c: dxp, ldc: inFeatures, on: context)
            }}
        }
        if accumulateParameterGradients { self.accumulateParameterGradients(dY, context: context) }
        return dX
    }

    // dW += dY^T x, db += the column sums of dY; no dX.
    public func accumulateParameterGradients(_ dY: Tensor, context: ExecutionContext) {
        guard let x = input else { preconditionFailure("Linear: backward called before forward") }
        let n = x.shape[0]
        dY.expectShape([n, outFeatures], "Linear.backward dY for input \(x.shape)")
        dY.withUnsafePointer { dyp in
            x.withUnsafePointer { xp in
            weight.grad.withUnsafeMutablePointer { dW in
                sgemm(.t, .n, m: outFeatures, n: inFeatures, k: n, a: dyp, lda: outFeatures, b: xp, ldb: inFeatures,
                      beta: 1, c: dW, ldc: inFeatures, on: context)
            }}
            if let bias {
                bias.grad.withUnsafeMutablePointer { dB in
                    for i in 0..<n {
                        for j in 0..<outFeatures { dB[j] += dyp[i * outFeatures + j] }
                    }
                }
            }
        }
    }
}
