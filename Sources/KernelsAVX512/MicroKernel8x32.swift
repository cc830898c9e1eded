import Prefetch

/// The AVX-512 SGEMM micro-kernel: C[8x32] := beta*C + alpha * A_panel * B_panel.
///
/// This target is compiled with `-march=x86-64-v4`, so `SIMD16<Float>` is one zmm register
/// and `addingProduct` is one `vfmadd`. 16 accumulators (8 rows x 2 vectors) plus two B
/// vectors and a broadcast fit in the 32 zmm registers without spilling.
///
/// Packed layouts (see Kernels/GEMM+Packing.swift): `a` holds `kc` columns of 8 floats,
/// `b` holds `kc` rows of 32 floats, 64-byte aligned. C is row-major with row stride `ldc`;
/// only its top-left `mr x nr` corner is written, and C is never read when beta is 0.
@inline(never) @Sendable
public func sgemmMicroKernelAVX512(
    _ kc: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ mr: Int, _ nr: Int
) {
    let rows = UnsafeRawPointer(b)
    // Each step asks for the B row 8 steps ahead: a B micro-panel (80 KiB at kc = 640) is larger
    // than L1 and is read again from L2 for every A micro-panel (1 thread, 7 interleaved rounds:
    // 2048³ +4 %, 1024³ +1 %; 2 KiB ahead was slower).
    if nr <= 16 {
        kernel8x16(kc, alpha, a, beta, c, ldc, mr, nr) { rows + $0 &* 128 }
        return
    }
    kernel8x32(kc, alpha, a, beta, c, ldc, mr, nr) {
        let row = rows + $0 &* 128
        prefetchForRead(row + 1024)
        prefetchForRead(row + 1088)
        return row
    }
}

/// The same tile with B read in place: row p of the B micro-panel is the 32 floats at
/// `b + rowOffsets[p]` (unaligned). Why: a stride-1 convolution's im2col rows are shifted views of
/// the zero-padded image, so B needs no packing at all (see Kernels/Convolution+Indirect.swift).
@inline(never) @Sendable
public func sgemmMicroKernelAVX512Indirect(
    _ kc: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ rowOffsets: UnsafePointer<Int>,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ mr: Int, _ nr: Int
) {
    let base = UnsafeRawPointer(b)
    if nr <= 16 {
        kernel8x16(kc, alpha, a, beta, c, ldc, mr, nr) { base + rowOffsets[$0] &* 4 }
    } else {
        kernel8x32(kc, alpha, a, beta, c, ldc, mr, nr) { base + rowOffsets[$0] &* 4 }
    }
}

/// The left half of the tile, for a tile at most 16 columns wide (the last panel of a weight
/// gradient's 48-column window group at 16 channels, a 10-class head): 8 accumulators and one B
/// vector per step instead of 16 and two. Each element sees the same FMAs as in `kernel8x32`.
@inline(__always)
private func kernel8x16(
    _ kc: Int, _ alpha: Float, _ a: UnsafePointer<Float>,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ mr: Int, _ nr: Int,
    bRow: (Int) -> UnsafeRawPointer
) {
    typealias V = SIMD16<Float>
    var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()
    let cBytes = UnsafeRawPointer(c)
    for r in 0..<mr { prefetchForRead(cBytes + r &* ldc &* 4) }
    var pa = a
    for p in 0..<kc {
        let b0 = bRow(p).loadUnaligned(as: V.self)
        c0 = c0.addingProduct(V(repeating: pa[0]), b0)
        c1 = c1.addingProduct(V(repeating: pa[1]), b0)
        c2 = c2.addingProduct(V(repeating: pa[2]), b0)
        c3 = c3.addingProduct(V(repeating: pa[3]), b0)
        c4 = c4.addingProduct(V(repeating: pa[4]), b0)
        c5 = c5.addingProduct(V(repeating: pa[5]), b0)
        c6 = c6.addingProduct(V(repeating: pa[6]), b0)
        c7 = c7.addingProduct(V(repeating: pa[7]), b0)
        pa += 8
    }
    withUnsafeTemporaryAllocation(of: V.self, capacity: 8) { t in
        t[0] = c0; t[1] = c1; t[2] = c2; t[3] = c3; t[4] = c4; t[5] = c5; t[6] = c6; t[7] = c7
        UnsafeRawPointer(t.baseAddress!).withMemoryRebound(to: Float.self, capacity: 128) { tile in
            for i in 0..<mr {
                let row = c + i * ldc
                let src = tile + i * 16
                if nr == 16 {
                    // As `writeCorner` rounds: a product, then a separate add (no FMA).
                    let r = UnsafeMutableRawPointer(row), v = UnsafeRawPointer(src).loadUnaligned(as: V.self)
                    if beta == 0 {
                        r.storeBytes(of: v * alpha, as: V.self)
                    } else {
                        r.storeBytes(of: v * alpha + r.loadUnaligned(as: V.self) * beta, as: V.self)
                    }
                } else {
                    writeCorner(row, from: src, count: nr, alpha, beta)
                }
            }
        }
    }
}

/// The 8x32 tile's accumulators: `cij` is row i, columns 16j ..< 16j + 16.
struct Tile8x32 {
    typealias V = SIMD16<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
    var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
}

/// The tile's k loop: `kc` steps, A column p the 8 floats at `a + 8p`, B row p the two vectors
/// `bVectors(p)`; one FMA chain from zero per element, in p order. The one home of the tile's float
/// order: the GEMM tiles and the direct forward tile (DirectConvolution.swift) both run it, so they
/// agree bit for bit.
@inline(__always)
func multiply8x32(_ kc: Int, _ a: UnsafePointer<Float>, bVectors: (Int) -> (SIMD16<Float>, SIMD16<Float>)) -> Tile8x32 {
    typealias V = SIMD16<Float>
    var t = Tile8x32()
    var pa = a
    for p in 0..<kc {
        let (b0, b1) = bVectors(p)
        var av = V(repeating: pa[0])
        t.c00 = t.c00.addingProduct(av, b0); t.c01 = t.c01.addingProduct(av, b1)
        av = V(repeating: pa[1])
        t.c10 = t.c10.addingProduct(av, b0); t.c11 = t.c11.addingProduct(av, b1)
        av = V(repeating: pa[2])
        t.c20 = t.c20.addingProduct(av, b0); t.c21 = t.c21.addingProduct(av, b1)
        av = V(repeating: pa[3])
        t.c30 = t.c30.addingProduct(av, b0); t.c31 = t.c31.addingProduct(av, b1)
        av = V(repeating: pa[4])
        t.c40 = t.c40.addingProduct(av, b0); t.c41 = t.c41.addingProduct(av, b1)
        av = V(repeating: pa[5])
        t.c50 = t.c50.addingProduct(av, b0); t.c51 = t.c51.addingProduct(av, b1)
        av = V(repeating: pa[6])
        t.c60 = t.c60.addingProduct(av, b0); t.c61 = t.c61.addingProduct(av, b1)
        av = V(repeating: pa[7])
        t.c70 = t.c70.addingProduct(av, b0); t.c71 = t.c71.addingProduct(av, b1)
        pa += 8
    }
    return t
}

/// The tile's body, row p of B at `bRow(p)`; inlined into each entry point.
@inline(__always)
private func kernel8x32(
    _ kc: Int, _ alpha: Float, _ a: UnsafePointer<Float>,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ mr: Int, _ nr: Int,
    bRow: (Int) -> UnsafeRawPointer
) {
    typealias V = SIMD16<Float>
    // Ask for the C tile now: its rows are ldc apart, and the hardware prefetcher would not fetch
    // them before the stores at the end wait on them.
    let cBytes = UnsafeRawPointer(c)
    for r in 0..<mr {
        prefetchForRead(cBytes + r &* ldc &* 4)
        prefetchForRead(cBytes + r &* ldc &* 4 + 64)
    }
    let t = multiply8x32(kc, a) { p in
        let pb = bRow(p)
        return (pb.loadUnaligned(as: V.self), pb.loadUnaligned(fromByteOffset: 64, as: V.self))
    }
    if mr == 8 && nr == 32 {
        let cr = UnsafeMutableRawPointer(c)
        let rowBytes = ldc * 4
        store(t.c00, t.c01, cr, alpha, beta)
        store(t.c10, t.c11, cr + rowBytes, alpha, beta)
        store(t.c20, t.c21, cr + 2 * rowBytes, alpha, beta)
        store(t.c30, t.c31, cr + 3 * rowBytes, alpha, beta)
        store(t.c40, t.c41, cr + 4 * rowBytes, alpha, beta)
        store(t.c50, t.c51, cr + 5 * rowBytes, alpha, beta)
        store(t.c60, t.c61, cr + 6 * rowBytes, alpha, beta)
        store(t.c70, t.c71, cr + 7 * rowBytes, alpha, beta)
        return
    }
    // Edge tile: spill the accumulators to a local tile, then write the valid corner.
    withUnsafeTemporaryAllocation(of: V.self, capacity: 16) { spill in
        spill[0] = t.c00; spill[1] = t.c01; spill[2] = t.c10; spill[3] = t.c11
        spill[4] = t.c20; spill[5] = t.c21; spill[6] = t.c30; spill[7] = t.c31
        spill[8] = t.c40; spill[9] = t.c41; spill[10] = t.c50; spill[11] = t.c51
        spill[12] = t.c60; spill[13] = t.c61; spill[14] = t.c70; spill[15] = t.c71
        UnsafeRawPointer(spill.baseAddress!).withMemoryRebound(to: Float.self, capacity: 256) { tile in
            for i in 0..<mr { writeCorner(c + i * ldc, from: tile + i * 32, count: nr, alpha, beta) }
        }
    }
}

/// One row of an edge tile's valid corner: `row[j] = alpha * src[j] (+ beta * row[j])`, C not read when beta is 0.
@inline(__always)
private func writeCorner(_ row: UnsafeMutablePointer<Float>, from src: UnsafePointer<Float>, count nr: Int,
                         _ alpha: Float, _ beta: Float) {
    if beta == 0 {
        for j in 0..<nr { row[j] = alpha * src[j] }
    } else {
        for j in 0..<nr { row[j] = alpha * src[j] + beta * row[j] }
    }
}

@inline(__always)
private func store(_ lo: SIMD16<Float>, _ hi: SIMD16<Float>, _ row: UnsafeMutableRawPointer, _ alpha: Float, _ beta: Float) {
    if beta == 0 {
        row.storeBytes(of: lo * alpha, as: SIMD16<Float>.self)
        row.storeBytes(of: hi * alpha, toByteOffset: 64, as: SIMD16<Float>.self)
    } else {
        let old0 = row.loadUnaligned(as: SIMD16<Float>.self)
        let old1 = row.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
        row.storeBytes(of: (lo * alpha).addingProduct(old0, beta), as: SIMD16<Float>.self)
        row.storeBytes(of: (hi * alpha).addingProduct(old1, beta), toByteOffset: 64, as: SIMD16<Float>.self)
    }
}
