import Kernels
import NN
import TensorCore

/// A `Linear` or `Conv2d` layer `y = A x + b` with what both bound methods need of it: private copies of
/// the layer (their forward caches are ours), one with `|A|` and no bias, and A's transpose.
///
/// Why copies with `|A|`: the interval rule `r' = |A| r` and the magnitudes `|A| m` of the rounding
/// allowances are then the real layer's forward, on the shared GEMM (and the convolution's im2col-free path).
/// The weights are a snapshot taken at compile time.
final class AffineMap {
    /// `A mu + b`.
    let centre: any Layer
    /// `|A| r`.
    let absolute: any Layer
    /// `b` per output channel (per feature for Linear); empty without bias.
    let bias: [Float]
    /// Products summed per output (`in`, or `C kh kw`).
    let fanIn: Int
    /// Products summed per input in the transpose (`out`, or `O kh kw`).
    let fanOut: Int
    private let adjoint: Adjoint

    private enum Adjoint {
        case linear(weight: Tensor)
        case convolution(TransposedConvolution)
    }

    init(_ layer: Linear) {
        let copy = Linear(layer.inFeatures, layer.outFeatures, bias: layer.bias != nil, seed: 0)
        copy.weight.value = layer.weight.value
        if let bias = layer.bias { copy.bias?.value = bias.value }
        let absolute = Linear(layer.inFeatures, layer.outFeatures, bias: false, seed: 0)
        absolute.weight.value = AffineMap.absolute(layer.weight.value)
        centre = copy
        self.absolute = absolute
        bias = layer.bias?.value.storage ?? []
        fanIn = layer.inFeatures
        fanOut = layer.outFeatures
        adjoint = .linear(weight: layer.weight.value)
    }

    init(_ layer: Conv2d) {
        func make(bias: Bool) -> Conv2d {
            Conv2d(layer.inChannels, layer.outChannels, kernelSize: (layer.kernelHeight, layer.kernelWidth),
                   stride: layer.stride, padding: layer.padding, bias: bias, seed: 0)
        }
        let copy = make(bias: layer.bias != nil)
        copy.weight.value = layer.weight.value
        if let bias = layer.bias { copy.bias?.value = bias.value }
        let absolute = make(bias: false)
        absolute.weight.value = AffineMap.absolute(layer.weight.value)
        centre = copy
        self.absolute = absolute
        bias = layer.bias?.value.storage ?? []
        fanIn = layer.inChannels * layer.kernelHeight * layer.kernelWidth
        fanOut = layer.outChannels * layer.kernelHeight * layer.kernelWidth
        adjoint = .convolution(TransposedConvolution(layer))
    }

    /// `Λ A`: rows of coefficients on the output `[R, ...out]` to coefficients on the input `[R] + inputSampleShape`.
    func transposed(_ lambda: Tensor, inputSampleShape: [Int], context: ExecutionContext) -> Tensor {
        switch adjoint {
        case .linear(let weight):
            // [R, out] x [out, in] -> [R, in]: one GEMM over all rows (each row's result independent of the others).
            let rows = lambda.dim(0), out = weight.dim(0), inputs = weight.dim(1)
            var result = Tensor(shape: [rows, inputs])
            lambda.withUnsafePointer { lp in
            weight.withUnsafePointer { wp in
            result.withUnsafeMutablePointer { rp in
                sgemm(.n, .n, m: rows, n: inputs, k: out, a: lp, lda: out, b: wp, ldb: inputs, c: rp, ldc: inputs, on: context)
            }}}
            return result
        case .convolution(let convolution):
            return convolution.apply(lambda, inputSampleShape: inputSampleShape, context: context)
        }
    }

    private static func absolute(_ t: Tensor) -> Tensor {
        Tensor(shape: t.shape, storage: t.storage.map(abs))
    }
}
