/// 2x2 stride-2 max pooling of one plane, in explicit SIMD, keeping a 2-bit "which corner" code per output.
///
/// Why the code: backward then scatters each gradient from 1 byte per output instead of reading the
/// input (4x the output) again to find the argmax, and it writes every input position exactly once,
/// so dX needs no zero fill. Why SIMD by hand: the compiler left the stride-2 reads scalar.
///
/// `x` is `height x width`, `y` and `codes` are `(height/2) x (width/2)` (odd sizes floor, as
/// PyTorch). Code 0..3 = top-left, top-right, bottom-left, bottom-right: the first maximum in
/// row-major order, PyTorch's choice on ties. `rectifying` stores the ReLU of each maximum (`relu`'s
/// result bit for bit: a ReLU after the pool, in the same pass); the codes stay the pool's.
public func maxPool2x2(_ x: UnsafePointer<Float>, height: Int, width: Int, rectifying: Bool = false,
                       into y: UnsafeMutablePointer<Float>, codes: UnsafeMutablePointer<UInt8>) {
    let oh = height / 2, ow = width / 2
    for oy in 0..<oh {
        let r0 = UnsafeRawPointer(x + 2 * oy * width), r1 = r0 + 4 * width
        let out = UnsafeMutableRawPointer(y + oy * ow), code = codes + oy * ow
        // Vectors of 4 outputs; a ragged end redoes the last 4 (same values) rather than go scalar.
        var ox = 0
        while ox < ow && ow >= 4 {
            if ox + 4 > ow { ox = ow - 4 }
            let top = r0.loadUnaligned(fromByteOffset: 8 &* ox, as: SIMD8<Float>.self)
            let bottom = r1.loadUnaligned(fromByteOffset: 8 &* ox, as: SIMD8<Float>.self)
            let (a, b, c, d) = (top.evenHalf, top.oddHalf, bottom.evenHalf, bottom.oddHalf)
            let m = larger(larger(a, b), larger(c, d))
            var k = SIMD4<Int32>(repeating: 3)
            k.replace(with: 2, where: c .== m)
            k.replace(with: 1, where: b .== m)
            k.replace(with: 0, where: a .== m)
            out.storeBytes(of: rectifying ? m.replacing(with: 0, where: m .< 0) : m, toByteOffset: 4 &* ox, as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(code + ox).storeBytes(of: SIMD4<UInt8>(truncatingIfNeeded: k), as: SIMD4<UInt8>.self)
            ox &+= 4
        }
        let p0 = x + 2 * oy * width, p1 = p0 + width
        while ox < ow {
            let a = p0[2 * ox], b = p0[2 * ox + 1], c = p1[2 * ox], d = p1[2 * ox + 1]
            let m = larger(larger(a, b), larger(c, d))
            y[oy * ow + ox] = rectifying && m < 0 ? 0 : m
            code[ox] = a == m ? 0 : b == m ? 1 : c == m ? 2 : 3
            ox += 1
        }
    }
}

/// The backward of `maxPool2x2`: each `dY` goes to the corner its code names, the other three get 0.
/// With `positive` (the pooled output a ReLU rectified), only where it is > 0, as `reluMask` before
/// this would pass it: one pass instead of two.
///
/// Writes every position of the `height x width` plane `dX` that a window covers; when `height`
/// or `width` is odd, the uncovered last row or column is left as it is (the caller zeroes it).
public func maxPool2x2Backward(_ dY: UnsafePointer<Float>, codes: UnsafePointer<UInt8>,
                               passingWherePositive positive: UnsafePointer<Float>?, height: Int, width: Int,
                               into dX: UnsafeMutablePointer<Float>) {
    let oh = height / 2, ow = width / 2
    for oy in 0..<oh {
        let g = UnsafeRawPointer(dY + oy * ow), code = codes + oy * ow, mask = positive.map { $0 + oy * ow }
        let d0 = UnsafeMutableRawPointer(dX + 2 * oy * width), d1 = d0 + 4 * width
        var ox = 0
        while ox < ow && ow >= 4 {
            if ox + 4 > ow { ox = ow - 4 }
            var v = g.loadUnaligned(fromByteOffset: 4 &* ox, as: SIMD4<Float>.self)
            if let mask {
                let p = UnsafeRawPointer(mask).loadUnaligned(fromByteOffset: 4 &* ox, as: SIMD4<Float>.self)
                v = v.replacing(with: 0, where: .!(p .> 0))
            }
            let k = SIMD4<Int32>(truncatingIfNeeded: UnsafeRawPointer(code + ox).loadUnaligned(as: SIMD4<UInt8>.self))
            var top = SIMD8<Float>(), bottom = SIMD8<Float>()
            top.evenHalf = v.replacing(with: 0, where: k .!= 0)
            top.oddHalf = v.replacing(with: 0, where: k .!= 1)
            bottom.evenHalf = v.replacing(with: 0, where: k .!= 2)
            bottom.oddHalf = v.replacing(with: 0, where: k .!= 3)
            d0.storeBytes(of: top, toByteOffset: 8 &* ox, as: SIMD8<Float>.self)
            d1.storeBytes(of: bottom, toByteOffset: 8 &* ox, as: SIMD8<Float>.self)
            ox &+= 4
        }
        let q0 = dX + 2 * oy * width, q1 = q0 + width
        while ox < ow {
            let k = code[ox], passes = mask.map { $0[ox] > 0 } ?? true
            let v = passes ? dY[oy * ow + ox] : 0
            q0[2 * ox] = k == 0 ? v : 0
            q0[2 * ox + 1] = k == 1 ? v : 0
            q1[2 * ox] = k == 2 ? v : 0
            q1[2 * ox + 1] = k == 3 ? v : 0
            ox += 1
        }
    }
}

/// `b` where `a < b`: on ties (+0 and -0 too) the first, as the vector steps (`max` keeps the second).
@inline(__always)
private func larger(_ a: Float, _ b: Float) -> Float { a < b ? b : a }

/// Lane-wise maximum. Why not `pointwiseMax`: the standard library's generic version was not
/// specialised here and cost a function call per vector.
@inline(__always)
private func larger(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
    a.replacing(with: b, where: a .< b)
}
