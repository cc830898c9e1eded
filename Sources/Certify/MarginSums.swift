import Kernels
import NN
import TensorCore

/// Lower bounds of the margins `z_y - z_j`, `[N * K]` row-major (entry `s * K + j`), before the final
/// allowance, with the sum of the absolute values of the Double terms that made each one (`Rounding`, rule 3).
/// The label's own entries are unused.
struct MarginSums {
    var value: [Double]
    var magnitude: [Double]

    init(samples: Int, classes: Int) {
        value = [Double](repeating: 0, count: samples * classes)
        magnitude = value
    }

    /// Sound lower bounds: each value less `Rounding.finalAllowance`; `-infinity` for a sample whose bounds
    /// overflowed or a non-finite sum; `+infinity` on the label's own entry, so a row's minimum is the margin.
    func sound(labels: [Int], classes: Int, finite: [Bool]) -> [Double] {
        (0..<value.count).map { e in
            let s = e / classes
            if e % classes == labels[s] { return .infinity }
            let v = value[e] - Rounding.finalAllowance(magnitude: magnitude[e])
            return finite[s] && v.isFinite && magnitude[e].isFinite ? v : -.infinity
        }
    }

    /// With the last layer elided: for `h` in the interval of the last Linear layer's input,
    /// `min (W_y - W_j) h + (b_y - b_j) = d mu - |d| r + b_y - b_j` with `d = W_y - W_j`, `mu = (l + u) / 2`,
    /// `r = (u - l) / 2`, all in Double. Tighter than `l_y - u_j` from the logits' intervals, since the
    /// specification sees through the last layer (Gowal et al. 2018, section 3).
    static func elided(_ head: Linear, input h: Interval, labels: [Int], context: ExecutionContext) -> MarginSums {
        let classes = head.outFeatures, width = head.inFeatures
        let w = head.weight.value.storage, b = head.bias?.value.storage ?? [Float](repeating: 0, count: classes)
        var sums = MarginSums(samples: h.samples, classes: classes)
        sums.value.withUnsafeMutableBufferPointer { value in
        sums.magnitude.withUnsafeMutableBufferPointer { magnitude in
            context.forEach(h.samples) { s in
                let y = labels[s]
                let mu = (0..<width).map { (Double(h.lower.storage[s * width + $0]) + Double(h.upper.storage[s * width + $0])) / 2 }
                let r = (0..<width).map { (Double(h.upper.storage[s * width + $0]) - Double(h.lower.storage[s * width + $0])) / 2 }
                for j in 0..<classes where j != y {
                    var sum = Double(b[y]) - Double(b[j]), size = abs(sum)
                    for i in 0..<width {
                        let d = Double(w[y * width + i]) - Double(w[j * width + i])
                        sum += d * mu[i] - abs(d) * r[i]
                        size += abs(d) * (abs(mu[i]) + r[i])
                    }
                    value[s * classes + j] = sum
                    magnitude[s * classes + j] = size
                }
            }
        }}
        return sums
    }

    /// Without a last Linear layer to elide: `l_y - u_j` from the logits' intervals.
    static func logits(_ z: Interval, labels: [Int]) -> MarginSums {
        let classes = z.lower.sampleSize
        var sums = MarginSums(samples: z.samples, classes: classes)
        for s in 0..<z.samples {
            let ly = Double(z.lower.storage[s * classes + labels[s]])
            for j in 0..<classes {
                let uj = Double(z.upper.storage[s * classes + j])
                sums.value[s * classes + j] = ly - uj
                sums.magnitude[s * classes + j] = abs(ly) + abs(uj)
            }
        }
        return sums
    }
}
