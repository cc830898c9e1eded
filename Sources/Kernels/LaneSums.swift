/// Sums over a run of floats in 8 Float lanes (lane t takes elements t, t + 8, ...; the lanes and the
/// tail are then added in order, in Double): a fixed order for a given count, so results never
/// depend on threads or batching.
///
/// Why: BatchNorm's batch statistics and gradient sums took every element through Double one at a
/// time (18 % of a resnet-lite training step); a plane of at most a few thousand floats loses
/// nothing that matters summed in Float lanes first.

/// `sum x[i]`.
public func laneSum(_ x: UnsafePointer<Float>, count: Int) -> Double {
    let xr = UnsafeRawPointer(x)
    var acc = SIMD8<Float>()
    var i = 0
    while i + 8 <= count {
        acc += xr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    return finish(acc, tail: i..<count) { Double(x[$0]) }
}

/// `sum (x[i] - mean)^2`.
public func laneSumOfSquares(_ x: UnsafePointer<Float>, count: Int, around mean: Float) -> Double {
    let xr = UnsafeRawPointer(x), m = SIMD8<Float>(repeating: mean)
    var acc = SIMD8<Float>()
    var i = 0
    while i + 8 <= count {
        let d = xr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) - m
        acc += d * d
        i &+= 8
    }
    return finish(acc, tail: i..<count) { let d = x[$0] - mean; return Double(d * d) }
}

/// `(sum dy[i], sum dy[i] * (x[i] - mean) * scale)`: BatchNorm's two gradient sums over one plane.
public func laneSums(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int, mean: Float,
                     scale: Float) -> (sum: Double, sumTimesNormalised: Double) {
    let dyr = UnsafeRawPointer(dy), xr = UnsafeRawPointer(x)
    let m = SIMD8<Float>(repeating: mean), s = SIMD8<Float>(repeating: scale)
    var acc = SIMD8<Float>(), accH = SIMD8<Float>()
    var i = 0
    while i + 8 <= count {
        let g = dyr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        let h = (xr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) - m) * s
        acc += g
        accH += g * h
        i &+= 8
    }
    return (finish(acc, tail: i..<count) { Double(dy[$0]) },
            finish(accH, tail: i..<count) { Double(dy[$0] * ((x[$0] - mean) * scale)) })
}

@inline(__always)
private func finish(_ lanes: SIMD8<Float>, tail: Range<Int>, _ element: (Int) -> Double) -> Double {
    var total = 0.0
    for t in 0..<8 { total += Double(lanes[t]) }
    for i in tail { total += element(i) }
    return total
}
