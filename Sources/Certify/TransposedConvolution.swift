import Kernels
import NN
import TensorCore

/// Rows of linear coefficients pulled back through a convolution: `Λ_in = col2im(W^T Λ_out)` per row.
///
/// The same arithmetic as `Conv2d`'s input gradient on its GEMM path, with the rows of Λ as the batch. Written
/// here on the kernels (`sgemm` on a packed `W^T`, `col2imGather`/`col2im`) because the layer's `backward`
/// needs a forward of the same batch first, which would double CROWN's cost. One row per task, each GEMM on
/// one thread: a row's result never depends on the other rows or on the thread count.
final class TransposedConvolution {
    private let weight: Tensor
    private let outChannels: Int
    private let kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int
    /// `W^T` packed as A, for the context's kernel it was made for.
    private var packed: PackedA?

    init(_ layer: Conv2d) {
        weight = layer.weight.value
        outChannels = layer.outChannels
        (kernelHeight, kernelWidth, stride, padding) = (layer.kernelHeight, layer.kernelWidth, layer.stride, layer.padding)
    }

    // lambda: [R, O, OH, OW] -> [R, C, H, W] (inputSampleShape = [C, H, W])
    func apply(_ lambda: Tensor, inputSampleShape: [Int], context: ExecutionContext) -> Tensor {
        let g = ConvGeometry(channels: inputSampleShape[0], height: inputSampleShape[1], width: inputSampleShape[2],
                             kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: stride, padding: padding)
        let rows = lambda.dim(0), k = g.colRows, spatial = g.colColumns
        lambda.expectShape([rows, outChannels, g.outHeight, g.outWidth], "TransposedConvolution Λ")
        let packedWT = pack(k: k, context: context)
        var result = Tensor(shape: [rows] + inputSampleShape)
        lambda.withUnsafePointer { lp in
        result.withUnsafeMutablePointer { rp in
            context.forEach(rows) { r in
                context.workspaces.with(k * spatial) { col in
                    sgemm(packedA: packedWT, .n, n: spatial, b: lp + r * outChannels * spatial, ldb: spatial,
                          c: col, ldc: spatial, on: context, threads: 1)
                    if g.stride == 1 {
                        col2imGather(col, g, into: rp + r * g.imageCount)
                    } else {
                        col2im(col, g, addingInto: rp + r * g.imageCount)
                    }
                }
            }
        }}
        return result
    }

    private func pack(k: Int, context: ExecutionContext) -> PackedA {
        if let packed, packed.fits(context.gemm) { return packed }
        let made = weight.withUnsafePointer { PackedA(.t, a: $0, lda: k, m: k, k: outChannels, for: context) }
        packed = made
        return made
    }
}
