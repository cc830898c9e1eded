import Kernels
import NN
import TensorCore

/// Interval bound propagation (IBP; Gowal et al. 2018, "On the Effectiveness of Interval Bound Propagation for
/// Training Verifiably Robust Models"): elementwise bounds pushed forward layer by layer.
///
/// Affine layers go in centre/radius form on the real layers' kernels, `mu' = A mu + b`, `r' = |A| r`;
/// monotone layers (ReLU, max and average pools, reshapes) map lower and upper bounds separately; a residual
/// block adds its branches' bounds, then applies its ReLU. Each step rounds outward as `Rounding` explains.
/// Every sample's bounds depend on that sample alone, so batch size and thread count never change them.
struct IntervalPropagation {
    let context: ExecutionContext
    /// Per sample: false once any of its bounds overflowed (such a sample is never certified).
    private(set) var finite: [Bool]
    /// The input interval of every node in visiting order (a residual block adds its ReLU's input after its
    /// branches'), kept when CROWN will need them for its relaxations.
    private(set) var record: [Interval]?

    init(samples: Int, recording: Bool, context: ExecutionContext) {
        self.context = context
        finite = [Bool](repeating: true, count: samples)
        record = recording ? [] : nil
    }

    /// The bounds after `nodes`, given the bounds before them.
    mutating func propagate(_ nodes: [BoundNode], _ x: Interval) -> Interval {
        var bounds = x
        for node in nodes {
            record?.append(bounds)
            bounds = propagate(node, bounds)
        }
        return bounds
    }

    private mutating func propagate(_ node: BoundNode, _ x: Interval) -> Interval {
        switch node {
        case .affine(let map): return affine(map, x)
        case .channelAffine(let map): return channelAffine(map, x)
        case .relu: return Interval(lower: relu(x.lower), upper: relu(x.upper))
        case .maxPool(let pool):
            return Interval(lower: pool.forward(x.lower, context: context), upper: pool.forward(x.upper, context: context))
        case .averagePool(let pool): return averagePool(pool, x)
        case .reshape(let shape): return x.reshaped(sampleShape: shape(x.sampleShape))
        case let .residual(main, shortcut):
            let a = propagate(main, x)
            let b = shortcut.map { propagate($0, x) } ?? x
            let sum = add(a, b)
            record?.append(sum)
            return Interval(lower: relu(sum.lower), upper: relu(sum.upper))
        }
    }

    // [N, ...in] -> [N, ...out]: mu = (l + u) / 2, r = max(u - mu, mu - l); the radius fed to |A| is widened to
    // r + delta (|mu| + r), and the result to |A| r~ + delta |b|, delta = allowance(fanIn): then
    // [A mu + b -/+ that] holds A x + b for every x in [l, u] despite the Float GEMMs (`Rounding`, rule 1).
    private mutating func affine(_ map: AffineMap, _ x: Interval) -> Interval {
        let delta = Rounding.allowance(map.fanIn)
        var mu = Tensor(unfilled: x.lower.shape), radius = Tensor(unfilled: x.lower.shape)
        let count = x.lower.count
        x.lower.withUnsafePointer { lp in
        x.upper.withUnsafePointer { up in
        mu.withUnsafeMutablePointer { mp in
        radius.withUnsafeMutablePointer { rp in
            for i in 0..<count {
                let m = (lp[i] + up[i]) * 0.5
                let r = max(up[i] - m, m - lp[i])
                mp[i] = m
                rp[i] = r + delta * (abs(m) + r)
            }
        }}}}
        let centre = map.centre.forward(mu, context: context)
        let spread = map.absolute.forward(radius, context: context)
        let channels = centre.dim(1), plane = centre.sampleSize / channels
        let biasWidth = (0..<channels).map { c in (map.bias.isEmpty ? 0 : delta * abs(map.bias[c])) + Float.leastNormalMagnitude }
        return centre.withUnsafePointer { cp in
            spread.withUnsafePointer { sp in
                outputs(centre.shape) { offset, lower, upper in
                    var size: Float = 0
                    for c in 0..<channels {
                        let at = offset + c * plane
                        size += widen(cp + at, by: sp + at, plus: biasWidth[c], count: plane,
                                      lower: lower + c * plane, upper: upper + c * plane)
                    }
                    return size
                }
            }
        }
    }

    // y = scale[c] x + shift[c] in Double, rounded outward; the Double error is below 1e-14 of the terms' size.
    private mutating func channelAffine(_ map: ChannelMap, _ x: Interval) -> Interval {
        let channels = map.scale.count
        precondition(x.lower.rank >= 2 && x.lower.dim(1) == channels,
                     "Certify: a per-channel layer of \(channels) channels got bounds of shape \(x.lower.shape)")
        let plane = x.lower.sampleSize / channels
        return x.lower.withUnsafePointer { lp in
            x.upper.withUnsafePointer { up in
                outputs(x.lower.shape) { offset, lower, upper in
                    var size: Float = 0
                    for c in 0..<channels {
                        let scale = map.scale[c], shift = map.shift[c], shiftSize = map.shiftMagnitude[c]
                        for i in c * plane..<(c + 1) * plane {
                            let l = lp[offset + i], u = up[offset + i]
                            let a = scale * Double(l) + shift, b = scale * Double(u) + shift
                            let error = 1e-14 * (abs(scale) * Double(max(abs(l), abs(u))) + shiftSize)
                            lower[i] = Rounding.roundedDown(min(a, b) - error)
                            upper[i] = Rounding.roundedUp(max(a, b) + error)
                            size += upper[i] - lower[i]
                        }
                    }
                    return size
                }
            }
        }
    }

    // Monotone and linear with weights >= 0: pool l and u, widened by allowance(window) * pool(max(|l|, |u|)).
    private mutating func averagePool(_ pool: AveragePool, _ x: Interval) -> Interval {
        let delta = Rounding.allowance(pool.window(x.lower.shape))
        let low = pool.layer.forward(x.lower, context: context)
        let high = pool.layer.forward(x.upper, context: context)
        let size = pool.layer.forward(x.magnitude, context: context)
        return low.withUnsafePointer { lp in
        high.withUnsafePointer { hp in
        size.withUnsafePointer { sp in
            outputs(low.shape) { offset, lower, upper in
                var total: Float = 0
                for i in 0..<low.sampleSize {
                    let w = delta * sp[offset + i] + Float.leastNormalMagnitude
                    lower[i] = lp[offset + i] - w
                    upper[i] = hp[offset + i] + w
                    total += upper[i] - lower[i]
                }
                return total
            }
        }}}
    }

    // The residual sum: a sum of 2 terms, widened by allowance(2) * (|a| + |b|).
    private mutating func add(_ a: Interval, _ b: Interval) -> Interval {
        precondition(a.lower.shape == b.lower.shape, "Certify: residual branches give shapes \(a.lower.shape) and \(b.lower.shape)")
        let delta = Rounding.allowance(2), size = a.lower.sampleSize
        return a.lower.withUnsafePointer { al in
        a.upper.withUnsafePointer { au in
        b.lower.withUnsafePointer { bl in
        b.upper.withUnsafePointer { bu in
            outputs(a.lower.shape) { offset, lower, upper in
                var total: Float = 0
                for i in offset..<offset + size {
                    let w = delta * (max(abs(al[i]), abs(au[i])) + max(abs(bl[i]), abs(bu[i]))) + Float.leastNormalMagnitude
                    lower[i - offset] = al[i] + bl[i] - w
                    upper[i - offset] = au[i] + bu[i] + w
                    total += upper[i - offset] - lower[i - offset]
                }
                return total
            }
        }}}}
    }

    /// ReLU of a bound tensor on the NaN-propagating kernel (a NaN must never turn into a finite bound).
    private func relu(_ x: Tensor) -> Tensor {
        var y = Tensor(unfilled: x.shape)
        x.withUnsafePointer { xp in y.withUnsafeMutablePointer { yp in Kernels.relu(xp, into: yp, count: x.count) } }
        return y
    }

    /// Bounds of `shape` written by `fill(offset of sample s, its lower bounds, its upper bounds)`, samples in
    /// parallel. `fill` returns a sum that is finite only if all its bounds are (it may overflow for bounds near
    /// the Float range: that only loses the sample); a sample whose sum is not finite is marked in `finite`.
    private mutating func outputs(_ shape: [Int],
                                  _ fill: (Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Float) -> Interval {
        var lower = Tensor(unfilled: shape), upper = Tensor(unfilled: shape)
        let size = lower.sampleSize
        lower.withUnsafeMutablePointer { lp in
        upper.withUnsafeMutablePointer { up in
        finite.withUnsafeMutableBufferPointer { finite in
            context.forEach(shape[0]) { s in
                if !fill(s * size, lp + s * size, up + s * size).isFinite { finite[s] = false }
            }
        }}}
        return Interval(lower: lower, upper: upper)
    }
}

/// `lower = c - (w + b)`, `upper = c + (w + b)` over `count` floats, 8 at a time; returns the sum of
/// `|c| + w + b`, which is finite only when every bound is. (Explicit SIMD: with four pointers that may alias,
/// the compiler left this loop scalar, and it runs over every activation twice per bound pass.)
@inline(__always)
private func widen(_ c: UnsafePointer<Float>, by w: UnsafePointer<Float>, plus b: Float, count: Int,
                   lower: UnsafeMutablePointer<Float>, upper: UnsafeMutablePointer<Float>) -> Float {
    let cr = UnsafeRawPointer(c), wr = UnsafeRawPointer(w), lr = UnsafeMutableRawPointer(lower), ur = UnsafeMutableRawPointer(upper)
    let bias = SIMD8<Float>(repeating: b)
    var sum = SIMD8<Float>(), i = 0
    while i + 8 <= count {
        let cv = cr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        let width = wr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) + bias
        lr.storeBytes(of: cv - width, toByteOffset: i &* 4, as: SIMD8<Float>.self)
        ur.storeBytes(of: cv + width, toByteOffset: i &* 4, as: SIMD8<Float>.self)
        sum += cv.replacing(with: -cv, where: cv .< 0) + width
        i &+= 8
    }
    var total = sum.sum()
    while i < count {
        let width = w[i] + b
        lower[i] = c[i] - width
        upper[i] = c[i] + width
        total += abs(c[i]) + width
        i &+= 1
    }
    return total
}
