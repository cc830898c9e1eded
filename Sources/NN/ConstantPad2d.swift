/// Pads the last two dimensions of `[N, C, H, W]` with a constant: `top`, `left`, `bottom`, `right`
/// rows and columns (PyTorch's `nn.ConstantPad2d`, ONNX `Pad` in constant mode on H and W).
///
/// Why a layer: an asymmetric padding (`pads = [0, 0, 1, 1]`, what TensorFlow's `SAME` gives for
/// even inputs) cannot be expressed by `Conv2d`'s one symmetric `padding`; this pad then a
/// convolution with padding 0 computes exactly the same thing.
public final class ConstantPad2d: Layer {
    public let top: Int, left: Int, bottom: Int, right: Int
    public let value: Float
    public var isTraining = false
    private var inputShape: [Int]?

    public init(top: Int, left: Int, bottom: Int, right: Int, value: Float = 0) {
        precondition(min(top, left, bottom, right) >= 0, "ConstantPad2d: negative padding \([top, left, bottom, right])")
        (self.top, self.left, self.bottom, self.right, self.value) = (top, left, bottom, right, value)
    }

    // x: [N, C, H, W] -> y: [N, C, H + top + bottom, W + left + right]
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        precondition(x.rank == 4, "ConstantPad2d: expected input [N, C, H, W], got shape \(x.shape)")
        let h = x.shape[2], w = x.shape[3], oh = h + top + bottom, ow = w + left + right
        var y = Tensor(shape: [x.shape[0], x.shape[1], oh, ow], repeating: value)
        x.withUnsafePointer { xp in
            y.withUnsafeMutablePointer { yp in
                for plane in 0..<x.shape[0] * x.shape[1] {
                    for r in 0..<h {
                        (yp + (plane * oh + r + top) * ow + left).update(from: xp + (plane * h + r) * w, count: w)
                    }
                }
            }
        }
        inputShape = x.shape
        return y
    }

    // dY: [N, C, OH, OW] -> dX: the interior of dY (padding has no input to flow to)
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("ConstantPad2d: backward called before forward") }
        let h = shape[2], w = shape[3], oh = h + top + bottom, ow = w + left + right
        dY.expectShape([shape[0], shape[1], oh, ow], "ConstantPad2d.backward dY")
        var dX = Tensor(shape: shape)
        dY.withUnsafePointer { dyp in
            dX.withUnsafeMutablePointer { dxp in
                for plane in 0..<shape[0] * shape[1] {
                    for r in 0..<h {
                        (dxp + (plane * h + r) * w).update(from: dyp + (plane * oh + r + top) * ow + left, count: w)
                    }
                }
            }
        }
        return dX
    }
}
