import Certify
import NN
import XCTest
import _TestSupport

/// Interval bound propagation in Double, one sample at a time, one plain loop nest per layer written from the
/// layer's formula in lower/upper form (`l' = W+ l + W- u + b`): the oracle for `BoundedNetwork.intervalBounds`.
struct NaiveInterval {
    /// One sample's shape (`[C, H, W]` or `[F]`).
    var shape: [Int]
    var lower: [Double]
    var upper: [Double]

    /// Sample `s` of `box`.
    init(_ box: Interval, sample s: Int) {
        shape = Array(box.lower.shape.dropFirst())
        lower = box.lower.row(s).map(Double.init)
        upper = box.upper.row(s).map(Double.init)
    }

    init(shape: [Int], lower: [Double], upper: [Double]) {
        (self.shape, self.lower, self.upper) = (shape, lower, upper)
    }

    /// The bounds after `layer`.
    func through(_ layer: any Layer) -> NaiveInterval {
        switch layer {
        case let sequential as Sequential:
            return sequential.layers.reduce(self) { $0.through($1) }
        case let residual as Residual:
            let a = through(residual.main), b = residual.shortcut.map { through($0) } ?? self
            return NaiveInterval(shape: a.shape, lower: zip(a.lower, b.lower).map { max(0, $0 + $1) },
                                 upper: zip(a.upper, b.upper).map { max(0, $0 + $1) })
        case let linear as Linear:
            return linearMap(linear)
        case let conv as Conv2d:
            return convolution(conv)
        case let normalize as Normalize:
            return channelMap(normalize.inverseStd.map(Double.init),
                              zip(normalize.mean, normalize.inverseStd).map { -Double($0) * Double($1) })
        case let bn as BatchNorm2d:
            let s = (0..<bn.numFeatures).map {
                Double(bn.weight.value.storage[$0]) / (Double(bn.runningVar.value.storage[$0]) + Double(bn.eps)).squareRoot()
            }
            return channelMap(s, (0..<bn.numFeatures).map {
                Double(bn.bias.value.storage[$0]) - Double(bn.runningMean.value.storage[$0]) * s[$0]
            })
        case let affine as ChannelAffine:
            return channelMap(affine.scale.map(Double.init), affine.shift.map(Double.init))
        case is ReLU:
            return NaiveInterval(shape: shape, lower: lower.map { max(0, $0) }, upper: upper.map { max(0, $0) })
        case let pool as MaxPool2d:
            return pooled(pool.kernelSize, pool.stride, pool.padding) { values, _ in values.max()! }
        case let pool as AvgPool2d:
            let k = pool.kernelSize
            return pooled(k, pool.stride, pool.padding) { values, _ in
                values.reduce(0, +) / Double(pool.countIncludePad ? k * k : values.count)
            }
        case is GlobalAvgPool2d:
            return pooled(shape[1], 1, 0) { values, _ in values.reduce(0, +) / Double(values.count) }.reshaped([shape[0]])
        case is Flatten:
            return reshaped([lower.count])
        case let reshape as Reshape:
            return reshaped(reshape.sampleShape)
        default:
            preconditionFailure("NaiveInterval: no rule for \(type(of: layer))")
        }
    }

    private func reshaped(_ newShape: [Int]) -> NaiveInterval {
        NaiveInterval(shape: newShape, lower: lower, upper: upper)
    }

    private func linearMap(_ layer: Linear) -> NaiveInterval {
        let w = layer.weight.value.storage, n = layer.inFeatures
        var lo = [Double](), hi = [Double]()
        for o in 0..<layer.outFeatures {
            var l = Double(layer.bias?.value.storage[o] ?? 0), u = l
            for i in 0..<n {
                let a = Double(w[o * n + i])
                l += a >= 0 ? a * lower[i] : a * upper[i]
                u += a >= 0 ? a * upper[i] : a * lower[i]
            }
            lo.append(l)
            hi.append(u)
        }
        return NaiveInterval(shape: [layer.outFeatures], lower: lo, upper: hi)
    }

    private func convolution(_ layer: Conv2d) -> NaiveInterval {
        let (c, h, wd) = (shape[0], shape[1], shape[2]), (kh, kw, s, p) = (layer.kernelHeight, layer.kernelWidth, layer.stride, layer.padding)
        let oh = (h + 2 * p - kh) / s + 1, ow = (wd + 2 * p - kw) / s + 1
        let w = layer.weight.value.storage
        var lo = [Double](), hi = [Double]()
        for o in 0..<layer.outChannels {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var l = Double(layer.bias?.value.storage[o] ?? 0), u = l
                    for ch in 0..<c {
                        for i in 0..<kh {
                            for j in 0..<kw {
                                let y = oy * s - p + i, x = ox * s - p + j
                                guard y >= 0 && y < h && x >= 0 && x < wd else { continue }
                                let a = Double(w[((o * c + ch) * kh + i) * kw + j]), at = (ch * h + y) * wd + x
                                l += a >= 0 ? a * lower[at] : a * upper[at]
                                u += a >= 0 ? a * upper[at] : a * lower[at]
                            }
                        }
                    }
                    lo.append(l)
                    hi.append(u)
                }
            }
        }
        return NaiveInterval(shape: [layer.outChannels, oh, ow], lower: lo, upper: hi)
    }

    private func channelMap(_ scale: [Double], _ shift: [Double]) -> NaiveInterval {
        let plane = lower.count / scale.count
        var lo = lower, hi = upper
        for i in lower.indices {
            let c = i / plane, a = scale[c] * lower[i] + shift[c], b = scale[c] * upper[i] + shift[c]
            (lo[i], hi[i]) = (min(a, b), max(a, b))
        }
        return NaiveInterval(shape: shape, lower: lo, upper: hi)
    }

    /// A pool over `k x k` windows (stride s, padding p, windows clipped to the image), `reduce` applied to
    /// the lower bounds and to the upper bounds of each window separately (both pools are monotone).
    private func pooled(_ k: Int, _ s: Int, _ p: Int, _ reduce: ([Double], Int) -> Double) -> NaiveInterval {
        let (c, h, w) = (shape[0], shape[1], shape[2])
        let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1
        var lo = [Double](), hi = [Double]()
        for ch in 0..<c {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var window: [Int] = []
                    for y in max(0, oy * s - p)..<min(h, oy * s - p + k) {
                        for x in max(0, ox * s - p)..<min(w, ox * s - p + k) { window.append((ch * h + y) * w + x) }
                    }
                    lo.append(reduce(window.map { lower[$0] }, k))
                    hi.append(reduce(window.map { upper[$0] }, k))
                }
            }
        }
        return NaiveInterval(shape: [c, oh, ow], lower: lo, upper: hi)
    }
}
