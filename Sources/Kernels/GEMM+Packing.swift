import Prefetch

/// Packs a `rows x kc` block of op(A), starting at (row, col), into micro-panels of `mr` rows:
/// `dst[(i / mr) * kc * mr + p * mr + i % mr] = op(A)[row + i, col + p]`, rows past `rows`
/// zero-padded so the micro-kernel always reads full panels. Transposes are absorbed here.
@inline(__always)
func packA(_ trans: Transpose, a: UnsafePointer<Float>, lda: Int, row: Int, col: Int,
           rows: Int, kc: Int, mr: Int, into dst: UnsafeMutablePointer<Float>) {
    var out = dst
    var i0 = 0
    while i0 < rows {
        let h = min(mr, rows - i0)
        switch trans {
        case .n: // op(A)[i, p] = a[i * lda + p]: each panel row is contiguous in memory.
            let src = a + (row + i0) * lda + col
            if h == mr && mr & 3 == 0 {
                packRowsTransposing(src, lda: lda, rows: mr, kc: kc, into: out)
            } else {
                // Walk k in the outer loop so the writes are contiguous and the h source rows are
                // read as h sequential streams (4x faster than row by row with stride-mr writes).
                for p in 0..<kc {
                    let o = out + p &* mr
                    for r in 0..<h { o[r] = src[r &* lda &+ p] }
                }
            }
        case .t: // op(A)[i, p] = a[p * lda + i]: each panel column is contiguous.
            for p in 0..<kc {
                let src = a + (col + p) * lda + row + i0
                let o = out + p * mr
                for r in 0..<h { o[r] = src[r] }
            }
        }
        if h < mr {
            for p in 0..<kc { for r in h..<mr { out[p * mr + r] = 0 } }
        }
        out += kc * mr
        i0 += mr
    }
}

/// `out[p * rows + r] = src[r * lda + p]` for a full micro-panel (`rows` a multiple of 4): 4x4
/// transposes of vector loads, four k at a time across all rows, so the writes are contiguous.
///
/// Why: element by element, with a multiply per address, packing a 128x3136 A took a fifth of a
/// 128x3136x128 GEMM on one thread. Every dense layer packs its input as A and its transposed
/// weights as B on each call.
@inline(__always)
func packRowsTransposing(_ src: UnsafePointer<Float>, lda: Int, rows: Int, kc: Int, into out: UnsafeMutablePointer<Float>) {
    let kc4 = kc & ~3
    let rowBytes = lda &* 4, stride = rows &* 4 // bytes from one row (one k) to the next
    let s = UnsafeRawPointer(src)
    var p = 0
    while p < kc4 {
        let o = UnsafeMutableRawPointer(out + p &* rows)
        var g = 0
        while g < rows {
            let at = g &* rowBytes &+ p &* 4
            let a = s.loadUnaligned(fromByteOffset: at, as: SIMD4<Float>.self)
            let b = s.loadUnaligned(fromByteOffset: at &+ rowBytes, as: SIMD4<Float>.self)
            let c = s.loadUnaligned(fromByteOffset: at &+ 2 &* rowBytes, as: SIMD4<Float>.self)
            let d = s.loadUnaligned(fromByteOffset: at &+ 3 &* rowBytes, as: SIMD4<Float>.self)
            let to = g &* 4
            o.storeBytes(of: SIMD4(a[0], b[0], c[0], d[0]), toByteOffset: to, as: SIMD4<Float>.self)
            o.storeBytes(of: SIMD4(a[1], b[1], c[1], d[1]), toByteOffset: to &+ stride, as: SIMD4<Float>.self)
            o.storeBytes(of: SIMD4(a[2], b[2], c[2], d[2]), toByteOffset: to &+ 2 &* stride, as: SIMD4<Float>.self)
            o.storeBytes(of: SIMD4(a[3], b[3], c[3], d[3]), toByteOffset: to &+ 3 &* stride, as: SIMD4<Float>.self)
            g &+= 4
        }
        p &+= 4
    }
    while p < kc {
        let o = out + p &* rows
        for r in 0..<rows { o[r] = src[r &* lda &+ p] }
        p &+= 1
    }
}

/// Packs a `kc x cols` slice of op(B), starting at (row, col), into one micro-panel of `nr`
/// columns: `dst[p * nr + j] = op(B)[row + p, col + j]`, columns past `cols` zero-padded.
@inline(__always)
func packB(_ trans: Transpose, b: UnsafePointer<Float>, ldb: Int, row: Int, col: Int,
           kc: Int, cols: Int, nr: Int, into dst: UnsafeMutablePointer<Float>) {
    switch trans {
    case .n: // op(B)[p, j] = b[p * ldb + j]: rows are contiguous.
        for p in 0..<kc {
            let o = dst + p &* nr
            let src = b + ((row + p) &* ldb &+ col)
            // The next panel's part of this row: kc rows far apart are kc streams, more than the
            // hardware prefetcher follows.
            prefetchForRead(UnsafeRawPointer(src + nr))
            prefetchForRead(UnsafeRawPointer(src + nr + 16))
            copyFloats(o, src, cols)
            for j in cols..<nr { o[j] = 0 }
        }
    case .t: // op(B)[p, j] = b[j * ldb + p]: columns are contiguous.
        // k outer: contiguous writes, `cols` sequential read streams (as in packA).
        let src = b + col * ldb + row
        if cols == nr && nr & 3 == 0 {
            packRowsTransposing(src, lda: ldb, rows: nr, kc: kc, into: dst)
            return
        }
        for p in 0..<kc {
            let o = dst + p &* nr
            for j in 0..<cols { o[j] = src[j &* ldb &+ p] }
            if cols < nr { (o + cols).update(repeating: 0, count: nr - cols) }
        }
    }
}

/// Packs a `kc x cols` block of a row-major B (`.n`) into `ceil(cols / nr)` consecutive micro-panels,
/// the same layout as `packB` panel by panel, but reading each B row once from start to end.
///
/// Why: panel by panel reads `nr` floats from each of `kc` rows far apart in memory, one stream per
/// row, which the hardware prefetcher cannot follow when B comes from memory (a conv layer's
/// whole-batch column matrix); row by row is one sequential stream.
func packBBlockRowwise(b: UnsafePointer<Float>, ldb: Int, row: Int, col: Int, kc: Int, cols: Int, nr: Int,
                       into dst: UnsafeMutablePointer<Float>) {
    let fullPanels = cols / nr, rest = cols - fullPanels * nr
    let panelSize = kc &* nr
    for p in 0..<kc {
        let src = b + ((row + p) &* ldb &+ col)
        var o = dst + p &* nr
        for j in 0..<fullPanels {
            copyFloats(o, src + j &* nr, nr)
            o += panelSize
        }
        if rest > 0 {
            copyFloats(o, src + fullPanels &* nr, rest)
            for j in rest..<nr { o[j] = 0 }
        }
    }
}
