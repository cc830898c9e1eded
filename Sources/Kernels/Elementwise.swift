/// Branch-free elementwise kernels in explicit SIMD.
///
/// Why by hand: a ReLU mask is random, so the scalar `x > 0 ? a : 0` the compiler emitted was a
/// mispredicted branch per element (9 % of a CNN step); vector selects have no branches.

/// `y[i] = max(y[i], 0)` in place.
public func reluInPlace(_ y: UnsafeMutablePointer<Float>, count: Int) {
    let raw = UnsafeMutableRawPointer(y)
    var i = 0
    while i + 8 <= count {
        let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        raw.storeBytes(of: v.replacing(with: 0, where: v .< 0), toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    while i < count {
        y[i] = max(y[i], 0)
        i &+= 1
    }
}

/// `dX[i] = x[i] > 0 ? dX[i] : 0` in place: the ReLU backward mask (NaN inputs pass no gradient).
public func reluMaskInPlace(_ dX: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, count: Int) {
    let raw = UnsafeMutableRawPointer(dX), xr = UnsafeRawPointer(x)
    var i = 0
    while i + 8 <= count {
        let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        let xv = xr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        raw.storeBytes(of: v.replacing(with: 0, where: .!(xv .> 0)), toByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    while i < count {
        dX[i] = x[i] > 0 ? dX[i] : 0
        i &+= 1
    }
}
