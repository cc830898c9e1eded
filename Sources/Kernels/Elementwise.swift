/// Branch-free elementwise kernels in explicit SIMD.
///
/// Why by hand: a ReLU mask is random, so the scalar `x > 0 ? a : 0` the compiler emitted was a
/// mispredicted branch per element (9 % of a CNN step); vector selects have no branches.

/// `y[i] = max(x[i], 0)`, NaN propagated; `y` may equal `x`. One pass: read x, write y.
public func relu(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    let xr = UnsafeRawPointer(x), yr = UnsafeMutableRawPointer(y)
    var i = 0
    while i + 8 <= count {
        let v = xr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        yr.storeBytes(of: v.replacing(with: 0, where: v .< 0), toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    while i < count {
        y[i] = x[i] < 0 ? 0 : x[i]
        i &+= 1
    }
}

/// `dX[i] = x[i] > 0 ? dY[i] : 0`: the ReLU backward mask (NaN inputs pass no gradient); `dX` may equal `dY`.
public func reluMask(_ dY: UnsafePointer<Float>, input x: UnsafePointer<Float>, into dX: UnsafeMutablePointer<Float>, count: Int) {
    let dyr = UnsafeRawPointer(dY), xr = UnsafeRawPointer(x), dxr = UnsafeMutableRawPointer(dX)
    var i = 0
    while i + 8 <= count {
        let v = dyr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        let xv = xr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        dxr.storeBytes(of: v.replacing(with: 0, where: .!(xv .> 0)), toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    while i < count {
        dX[i] = x[i] > 0 ? dY[i] : 0
        i &+= 1
    }
}

/// `a[i] = max(a[i] + b[i], 0)` in place (a residual block's sum and ReLU in one pass), NaN
/// propagated, bit for bit the sum followed by `relu`.
public func addReLU(_ a: UnsafeMutablePointer<Float>, adding b: UnsafePointer<Float>, count: Int) {
    let ar = UnsafeMutableRawPointer(a), br = UnsafeRawPointer(b)
    var i = 0
    while i + 8 <= count {
        let v = ar.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) + br.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        ar.storeBytes(of: v.replacing(with: 0, where: v .< 0), toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    while i < count {
        let v = a[i] + b[i]
        a[i] = v < 0 ? 0 : v
        i &+= 1
    }
}
