/// Copies `count` floats with inline 8-wide moves, the last one overlapping the one before instead
/// of a scalar tail (rows of 14 or 28 floats are common). `dst` and `src` must not overlap.
///
/// Why not `update(from:count:)`: that is a `memmove` call, and packing and im2col copy rows of
/// 28-32 floats millions of times per epoch; the call and its size dispatch cost more than the
/// copy (memmove was 19 % of a resnet-lite training step).
@inline(__always)
public func copyFloats(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int) {
    mapFloats(dst, src, count) { $0 }
}

/// `dst[i] = src[i] + b` for `count` floats, as `copyFloats` (overlapping vector tail). The fused
/// bias of a convolution's output copy: one pass instead of a copy and then an add. (Not used with
/// `b = 0` for a plain copy: `-0 + 0` is `+0`, so results would change in the sign of zero.)
@inline(__always)
public func copyFloats(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int, plus b: Float) {
    let bv = SIMD8<Float>(repeating: b)
    mapFloats(dst, src, count) { $0 + bv }
}

/// `dst[i] = f(src[i])` 8 floats at a time, the last vector overlapping the one before (so `f` must
/// give the same result when applied twice to the same source: a copy, a bias add from `src`).
@inline(__always)
private func mapFloats(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int,
                       _ f: (SIMD8<Float>) -> SIMD8<Float>) {
    guard count >= 8 else {
        for t in 0..<count { dst[t] = f(SIMD8(repeating: src[t]))[0] }
        return
    }
    let d = UnsafeMutableRawPointer(dst), s = UnsafeRawPointer(src)
    var t = 0
    while t + 8 < count {
        d.storeBytes(of: f(s.loadUnaligned(fromByteOffset: t &* 4, as: SIMD8<Float>.self)), toByteOffset: t &* 4, as: SIMD8<Float>.self)
        t &+= 8
    }
    let last = (count &- 8) &* 4
    d.storeBytes(of: f(s.loadUnaligned(fromByteOffset: last, as: SIMD8<Float>.self)), toByteOffset: last, as: SIMD8<Float>.self)
}

/// `c[i, j] += bias[i]` for an `m x n` matrix with row stride `ldc` (a convolution's bias). In place,
/// so no overlapping tail: that would add the bias twice to the last few elements.
public func addRowBias(_ bias: UnsafePointer<Float>, m: Int, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
        let row = UnsafeMutableRawPointer(c + i * ldc), b = bias[i]
        var j = 0
        while j + 8 <= n {
            let v = row.loadUnaligned(fromByteOffset: j &* 4, as: SIMD8<Float>.self) + SIMD8(repeating: b)
            row.storeBytes(of: v, toByteOffset: j &* 4, as: SIMD8<Float>.self)
            j &+= 8
        }
        while j < n {
            (c + i * ldc)[j] += b
            j &+= 1
        }
    }
}

/// Sets `count` floats to zero with inline 8-wide stores (the short zero runs of a padded image's
/// border; a `memset` call for 16-32 floats costs more than the stores).
@inline(__always)
public func zeroFloats(_ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    guard count >= 8 else {
        for t in 0..<count { dst[t] = 0 }
        return
    }
    let d = UnsafeMutableRawPointer(dst)
    var t = 0
    while t + 8 < count {
        d.storeBytes(of: SIMD8<Float>(), toByteOffset: t &* 4, as: SIMD8<Float>.self)
        t &+= 8
    }
    d.storeBytes(of: SIMD8<Float>(), toByteOffset: (count &- 8) &* 4, as: SIMD8<Float>.self)
}

/// `dst[i] += src[i]` for `count` floats with inline 8-wide operations (col2im's inner loop: the
/// compiler cannot prove the two rows do not overlap, so a plain loop stays scalar).
@inline(__always)
public func addFloats(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int) {
    var i = 0
    let d = UnsafeMutableRawPointer(dst), s = UnsafeRawPointer(src)
    while i + 8 <= count {
        let sum = d.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) + s.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        d.storeBytes(of: sum, toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    while i < count {
        dst[i] += src[i]
        i &+= 1
    }
}
