import Kernels
import NN
import TensorCore

extension LinearPropagation {
    /// CROWN's rule for a max pool, from the IBP bounds of its window `[l_i, u_i]`:
    /// `max_i z_i >= z_{i*}`, with `i*` the window's first largest lower bound, is the lower line (used when
    /// λ >= 0), and `max_i z_i <= max_i u_i` the upper one (a constant, used when λ < 0). When `l_{i*} >=
    /// u_i` for every other i the window's maximum is `z_{i*}` itself and λ goes to it whatever its sign.
    /// Sound, and exact for decided windows; a tighter upper line (Boopathy et al. 2019) is not attempted.
    ///
    /// Windows that overlap (stride below the kernel) add several λ into one coefficient: a Float sum of up
    /// to `ceil(k / s)^2` terms, charged `allowance(terms + 1) |λ| m` each.
    func maxPool(_ pool: MaxPool2d, _ bound: inout LinearBound, input: Interval) {
        let shape = input.lower.shape
        let g = ConvGeometry(channels: shape[1], height: shape[2], width: shape[3], kernelHeight: pool.kernelSize,
                             kernelWidth: pool.kernelSize, stride: pool.stride, padding: pool.padding)
        let relaxation = MaxPoolRelaxation(input, geometry: g, kernelSize: pool.kernelSize, stride: pool.stride,
                                           padding: pool.padding, context: context)
        let overlap = (pool.kernelSize + pool.stride - 1) / pool.stride
        let delta = overlap > 1 ? Double(Rounding.allowance(overlap * overlap + 1)) : 0
        let inWidth = input.lower.sampleSize, outWidth = g.channels * g.outHeight * g.outWidth
        input.magnitude.withUnsafePointer { sizes in
        relaxation.index.withUnsafeBufferPointer { index in
        relaxation.upper.withUnsafeBufferPointer { upper in
        relaxation.decided.withUnsafeBufferPointer { decided in
            bound.map(to: input.sampleShape, context: context) { _, s, row, out in
                var value = 0.0, magnitude = 0.0, slack = 0.0
                for o in 0..<outWidth {
                    let lambda = row[o], e = s * outWidth + o
                    if lambda >= 0 || decided[e] {
                        let i = index[e]
                        out[i] += lambda
                        slack += abs(Double(lambda)) * Double(sizes[s * inWidth + i])
                    } else {
                        let t = Double(lambda) * Double(upper[e])
                        value += t
                        magnitude += abs(t)
                    }
                }
                return (value - delta * slack, magnitude + delta * slack)
            }
        }}}}
    }
}

/// Per window of a max pool, for every sample: where its lower line points, its constant upper bound and
/// whether its maximum is decided. Arrays `[N * C * OH * OW]`; `index` is within the sample's input.
private struct MaxPoolRelaxation {
    var index: [Int]
    var upper: [Float]
    var decided: [Bool]

    init(_ x: Interval, geometry g: ConvGeometry, kernelSize: Int, stride: Int, padding: Int, context: ExecutionContext) {
        let n = x.samples, planes = g.channels, oh = g.outHeight, ow = g.outWidth
        let count = n * planes * oh * ow
        index = [Int](repeating: 0, count: count)
        upper = [Float](repeating: 0, count: count)
        decided = [Bool](repeating: false, count: count)
        let h = g.height, w = g.width
        x.lower.withUnsafePointer { lp in
        x.upper.withUnsafePointer { up in
        index.withUnsafeMutableBufferPointer { index in
        upper.withUnsafeMutableBufferPointer { upper in
        decided.withUnsafeMutableBufferPointer { decided in
            context.forEach(n * planes) { plane in
                let base = plane * h * w, c = plane % planes
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let ys = max(0, oy * stride - padding)..<min(h, oy * stride - padding + kernelSize)
                        let xs = max(0, ox * stride - padding)..<min(w, ox * stride - padding + kernelSize)
                        var best = ys.lowerBound * w + xs.lowerBound, top = -Float.infinity
                        for iy in ys {
                            for ix in xs {
                                if lp[base + iy * w + ix] > lp[base + best] { best = iy * w + ix }
                                top = max(top, up[base + iy * w + ix])
                            }
                        }
                        var others = -Float.infinity
                        for iy in ys {
                            for ix in xs where iy * w + ix != best { others = max(others, up[base + iy * w + ix]) }
                        }
                        let e = (plane * oh + oy) * ow + ox
                        index[e] = c * h * w + best
                        upper[e] = top
                        decided[e] = lp[base + best] >= others
                    }
                }
            }
        }}}}}
    }
}
