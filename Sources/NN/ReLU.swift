import Kernels

/// Rectified linear unit `y = max(x, 0)`, elementwise.
///
/// The gradient at exactly 0 is taken as 0 (PyTorch's choice).
public final class ReLU: Layer {
    public var isTraining = false
    private var input: Tensor?

    public init() {}

    /// Runs `body` on 16 Ki-element blocks of `0..<count`, in parallel (one pass over memory, out of
    /// place). Elementwise, so blocks and threads never change a bit.
    static func blocks(_ count: Int, context: ExecutionContext, _ body: (Range<Int>) -> Void) {
        let block = 16_384
        let threads = count < 4 * block ? 1 : context.threads
        context.forEach((count + block - 1) / block, threads: threads) { b in
            body(b * block..<min(count, (b + 1) * block))
        }
    }

    // x: any shape -> y: same shape
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        input = x
        var y = Tensor(uninitializedShape: x.shape)
        x.withUnsafePointer { xp in
            y.withUnsafeMutablePointer { yp in
                ReLU.blocks(x.count, context: context) { r in
                    relu(xp + r.lowerBound, into: yp + r.lowerBound, count: r.count)
                }
            }
        }
        return y
    }

    // dY: same shape as x -> dX = dY where x > 0, else 0
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let x = input else { preconditionFailure("ReLU: backward called before forward") }
        dY.expectShape(x.shape, "ReLU.backward dY")
        return ReLU.mask(dY, wherePositive: x, context: context)
    }

    /// `dY` where `reference > 0`, else 0. The reference is the ReLU's input or its output: both are
    /// positive at the same places (layers that fuse a ReLU keep only the output).
    static func mask(_ dY: Tensor, wherePositive reference: Tensor, context: ExecutionContext) -> Tensor {
        var dX = Tensor(uninitializedShape: dY.shape)
        reference.withUnsafePointer { xp in
        dY.withUnsafePointer { dyp in
            dX.withUnsafeMutablePointer { dxp in
                ReLU.blocks(dY.count, context: context) { r in
                    reluMask(dyp + r.lowerBound, input: xp + r.lowerBound, into: dxp + r.lowerBound, count: r.count)
                }
            }
        }}
        return dX
    }
}
