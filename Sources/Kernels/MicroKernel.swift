import KernelsAVX2
import KernelsAVX512

/// One SGEMM micro-kernel and the tile it computes: `C[mr x nr] := beta*C + alpha * A_panel * B_panel`.
///
/// This is the single kernel signature of the GEMM framework (the BLIS split: the driver in
/// `GEMM.swift` blocks, packs and loops; a micro-kernel only multiplies two packed panels).
/// - `a`: `kc` groups of `mr` floats (column p of the A micro-panel), zero-padded to `mr`.
/// - `b`: `kc` groups of `nr` floats (row p of the B micro-panel), zero-padded to `nr`, 64-byte aligned.
/// - `c`: row-major with row stride `ldc`; only the valid `rows x cols` corner is written
///   (edge tiles are handled inside the kernel), and C is never read when `beta == 0`.
public struct MicroKernel: Sendable {
    public typealias Function = @Sendable (
        _ kc: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ rows: Int, _ cols: Int
    ) -> Void

    /// Name shown by `robust bench` and accepted by `ROBUST_KERNEL`.
    public let name: String
    /// Rows of C per tile (register blocking along m).
    public let mr: Int
    /// Columns of C per tile (register blocking along n).
    public let nr: Int
    public let run: Function
    /// The same tile with B rows read in place at `b + rowOffsets[p]` (unaligned, no packing), for
    /// stride-1 convolutions; nil when this kernel has no such variant (the conv then packs panels).
    public let runIndirect: IndirectFunction?

    public typealias IndirectFunction = @Sendable (
        _ kc: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ rowOffsets: UnsafePointer<Int>,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ rows: Int, _ cols: Int
    ) -> Void
    /// Direct-convolution tiles (see Kernels/Convolution+Direct.swift); nil when this kernel has none
    /// (every convolution then takes the GEMM paths).
    public let direct: DirectConvolutionTiles?

    /// 8x32 with SIMD16 (AVX-512 + FMA). Needs `avx512f`.
    public static let avx512 = MicroKernel(name: "avx512-8x32", mr: 8, nr: 32, run: sgemmMicroKernelAVX512,
                                           runIndirect: sgemmMicroKernelAVX512Indirect,
                                           direct: DirectConvolutionTiles(forward: directConvolutionAVX512,
                                                                          nineTapColumns: nineTapColumnsAVX512,
                                                                          pixels: pixelTileAVX512))
    /// 6x16 with SIMD8 (AVX2 + FMA). Needs `avx2` and `fma`.
    public static let avx2 = MicroKernel(name: "avx2-6x16", mr: 6, nr: 16, run: sgemmMicroKernelAVX2, runIndirect: nil, direct: nil)
    /// 4x8 portable kernel: no CPU flags, runs on any x86-64 or arm64.
    public static let portable = MicroKernel(name: "portable-4x8", mr: 4, nr: 8, run: sgemmMicroKernelPortable, runIndirect: nil,
                                             direct: nil)

    public static let all: [MicroKernel] = [.avx512, .avx2, .portable]
}

/// Portable micro-kernel, compiled with no target flags: multiply and add stay separate
/// (no FMA is assumed), so its results can differ from the FMA kernels in the last bit.
@inline(never) @Sendable
func sgemmMicroKernelPortable(
    _ kc: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ mr: Int, _ nr: Int
) {
    typealias V = SIMD8<Float>
    var c0 = V(), c1 = V(), c2 = V(), c3 = V()
    var pa = a
    var pb = UnsafeRawPointer(b)
    for _ in 0..<kc {
        let bv = pb.load(as: V.self)
        c0 += V(repeating: pa[0]) * bv
        c1 += V(repeating: pa[1]) * bv
        c2 += V(repeating: pa[2]) * bv
        c3 += V(repeating: pa[3]) * bv
        pa += 4
        pb += 32
    }
    withUnsafeTemporaryAllocation(of: V.self, capacity: 4) { t in
        t[0] = c0; t[1] = c1; t[2] = c2; t[3] = c3
        UnsafeRawPointer(t.baseAddress!).withMemoryRebound(to: Float.self, capacity: 32) { tile in
            for i in 0..<mr {
                let row = c + i * ldc
                let src = tile + i * 8
                if beta == 0 {
                    for j in 0..<nr { row[j] = alpha * src[j] }
                } else {
                    for j in 0..<nr { row[j] = alpha * src[j] + beta * row[j] }
                }
            }
        }
    }
}
