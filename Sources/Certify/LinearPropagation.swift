import Kernels
import NN
import TensorCore

/// CROWN (Zhang et al. 2018, "Efficient Neural Network Robustness Certification with General Activation
/// Functions"): the specification's rows pulled back from the output to the input through linear relaxations.
///
/// Affine layers are exact (`Λ A`, offset `Λ b`); an unstable ReLU (`l < 0 < u`) is bounded above by the
/// line `u (z - l) / (u - l)` and below by `alpha z` with `alpha = 1` when `u > -l`, else 0 (the adaptive
/// choice), used according to the sign of each row's coefficient; stable ReLUs are exact. The pre-activation
/// bounds `l, u` of every ReLU, pool and residual sum come from IBP (`IntervalPropagation.record`), as in
/// CROWN-IBP (Zhang et al. 2020), not from CROWN passes of their own: one backward pass per specification.
/// Float products are charged as `Rounding` explains, against the magnitudes `max(|l|, |u|)` of the inputs.
struct LinearPropagation {
    let context: ExecutionContext
    /// IBP's record, consumed from the end as the nodes are walked backward.
    private var record: [Interval]

    init(record: [Interval], context: ExecutionContext) {
        self.record = record
        self.context = context
    }

    /// Pulls `bound` back through `nodes`, from their output to their input.
    mutating func propagate(_ nodes: [BoundNode], _ bound: inout LinearBound) {
        for node in nodes.reversed() {
            if case let .residual(main, shortcut) = node {
                residual(main: main, shortcut: shortcut, &bound)
                continue
            }
            let input = record.removeLast()
            switch node {
            case .affine(let map): affine(map, &bound, input: input)
            case .channelAffine(let map): channelAffine(map, &bound, input: input)
            case .relu: relu(&bound, input: input)
            case .maxPool(let pool): maxPool(pool, &bound, input: input)
            case .averagePool(let pool): averagePool(pool, &bound, input: input)
            case .reshape: bound.lambda = bound.lambda.reshaped([bound.rows] + input.sampleShape)
            case .residual: preconditionFailure("handled above")
            }
        }
    }

    // Λ A, offset += Λ b. The Float product Λ A is off by at most gamma_fanOut |Λ| |A| per coefficient, so it
    // costs at most allowance(fanOut) sum_o |Λ_o| (|A| m)_o, with m = max(|l|, |u|) of the input.
    private func affine(_ map: AffineMap, _ bound: inout LinearBound, input: Interval) {
        let size = map.absolute.forward(input.magnitude, context: context)
        let delta = Double(Rounding.allowance(map.fanOut))
        let width = bound.lambda.sampleSize, channels = bound.lambda.dim(1), plane = width / channels
        let bias = map.bias.isEmpty ? [Double](repeating: 0, count: channels) : map.bias.map(Double.init)
        size.withUnsafePointer { sizes in
            bound.add(context: context) { _, s, row in
                var value = 0.0, magnitude = 0.0, slack = 0.0
                let v = sizes + s * width
                for c in 0..<channels {
                    var sum = 0.0, sumAbs = 0.0
                    for i in c * plane..<(c + 1) * plane {
                        let l = Double(row[i])
                        sum += l
                        sumAbs += abs(l)
                        slack += abs(l) * Double(v[i])
                    }
                    value += sum * bias[c]
                    magnitude += sumAbs * abs(bias[c])
                }
                return (value - delta * slack, magnitude + delta * slack)
            }
        }
        bound.lambda = map.transposed(bound.lambda, inputSampleShape: input.sampleShape, context: context)
    }

    // Λ scale[c], offset += Λ shift[c]; storing the Double product as Float costs u |Λ scale| m.
    private func channelAffine(_ map: ChannelMap, _ bound: inout LinearBound, input: Interval) {
        let width = input.lower.sampleSize, channels = map.scale.count, plane = width / channels
        input.magnitude.withUnsafePointer { sizes in
            bound.map(to: input.sampleShape, context: context) { _, s, row, out in
                var value = 0.0, magnitude = 0.0, slack = 0.0
                let m = sizes + s * width
                for c in 0..<channels {
                    let scale = map.scale[c], shift = map.shift[c], shiftSize = map.shiftMagnitude[c]
                    for i in c * plane..<(c + 1) * plane {
                        let l = Double(row[i]), p = l * scale
                        out[i] = Float(p)
                        value += l * shift
                        magnitude += abs(l) * shiftSize
                        slack += abs(p) * Double(m[i])
                    }
                }
                return (value - Rounding.storage * slack, magnitude + Rounding.storage * slack)
            }
        }
    }

    // Per unit with pre-activation bounds [l, u]: l >= 0 keeps λ, u <= 0 drops it; unstable units take
    // alpha λ when λ >= 0 (ReLU >= alpha z), and a λ when λ < 0 (ReLU <= a (z - l), a = u / (u - l) rounded
    // up, which keeps the line above ReLU), adding -a λ l to the offset.
    private func relu(_ bound: inout LinearBound, input: Interval) {
        let width = input.lower.sampleSize
        input.lower.withUnsafePointer { lp in
        input.upper.withUnsafePointer { up in
            bound.map(to: input.sampleShape, context: context) { _, s, row, out in
                var value = 0.0, magnitude = 0.0, slack = 0.0
                for i in 0..<width {
                    let l = lp[s * width + i], u = up[s * width + i], lambda = row[i]
                    if l >= 0 {
                        out[i] = lambda
                    } else if u <= 0 {
                        out[i] = 0
                    } else if lambda >= 0 {
                        out[i] = u > -l ? lambda : 0
                    } else {
                        let slope = Double(u) / (Double(u) - Double(l)) * (1 + 1e-15)
                        let p = Double(lambda) * slope
                        out[i] = Float(p)
                        let t = -p * Double(l)
                        value += t
                        magnitude += abs(t)
                        slack += abs(p) * Double(max(-l, u))
                    }
                }
                return (value - Rounding.storage * slack, magnitude + Rounding.storage * slack)
            }
        }}
    }

    // Linear with weights >= 0, through the layer's own backward (after a forward of zeros of the rows'
    // size, which sets its shape). Sums of at most `window` terms: allowance(window + 1) sum_o |λ_o| pool(m)_o.
    private func averagePool(_ pool: AveragePool, _ bound: inout LinearBound, input: Interval) {
        let size = pool.layer.forward(input.magnitude, context: context)
        let delta = Double(Rounding.allowance(pool.window(input.lower.shape) + 1))
        let width = bound.lambda.sampleSize
        size.withUnsafePointer { sizes in
            bound.add(context: context) { _, s, row in
                var slack = 0.0
                for o in 0..<width { slack += abs(Double(row[o])) * Double(sizes[s * width + o]) }
                return (-delta * slack, delta * slack)
            }
        }
        _ = pool.layer.forward(Tensor(shape: [bound.rows] + input.sampleShape), context: context)
        bound.lambda = pool.layer.backward(bound.lambda, accumulateParameterGradients: false, context: context)
    }

    // relu(main(x) + shortcut(x)): the ReLU on the recorded sum, then both branches from the same Λ; their
    // coefficients add (a sum of 2 terms: allowance(2) (|Λ_main| + |Λ_shortcut|) m) and so do their offsets.
    private mutating func residual(main: [BoundNode], shortcut: [BoundNode]?, _ bound: inout LinearBound) {
        relu(&bound, input: record.removeLast())
        var skip = LinearBound(lambda: bound.lambda, rowsPerSample: bound.rowsPerSample)
        if let shortcut { propagate(shortcut, &skip) }
        propagate(main, &bound)
        let input = record.removeLast()
        let width = input.lower.sampleSize, delta = Double(Rounding.allowance(2))
        input.magnitude.withUnsafePointer { sizes in
        skip.lambda.withUnsafePointer { sp in
            bound.map(to: input.sampleShape, context: context) { r, s, row, out in
                var slack = 0.0
                for i in 0..<width {
                    let a = row[i], b = sp[r * width + i]
                    out[i] = a + b
                    slack += (abs(Double(a)) + abs(Double(b))) * Double(sizes[s * width + i])
                }
                return (skip.offset[r] - delta * slack, skip.magnitude[r] + delta * slack)
            }
        }}
    }
}
