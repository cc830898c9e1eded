import Kernels
import TensorCore

/// Rows of linear lower bounds `spec_r(x) >= Λ_r · z(x) + offset_r` on the output `z` of the node reached so
/// far, for every input `x` in the ball; `K - 1` rows per sample, `c_j = e_y - e_j` for `j != y` in order.
struct LinearBound {
    /// Λ: `[rows] + the node's output sample shape`.
    var lambda: Tensor
    var offset: [Double]
    /// The sum of the absolute values of the Double terms added into `offset` (`Rounding`, rule 3).
    var magnitude: [Double]
    let rowsPerSample: Int

    /// The specification itself on the network's outputs (`outputSampleShape` holds `classes` values): row
    /// `(s, j)` is `z_y - z_j`.
    init(specificationFor labels: [Int], classes: Int, outputSampleShape: [Int]) {
        rowsPerSample = classes - 1
        let rows = labels.count * rowsPerSample
        lambda = Tensor(shape: [rows, classes])
        for (s, y) in labels.enumerated() {
            for (t, j) in (0..<classes).filter({ $0 != y }).enumerated() {
                lambda.storage[(s * rowsPerSample + t) * classes + y] = 1
                lambda.storage[(s * rowsPerSample + t) * classes + j] = -1
            }
        }
        lambda = lambda.reshaped([rows] + outputSampleShape)
        offset = [Double](repeating: 0, count: rows)
        magnitude = offset
    }

    /// Coefficients `lambda` with nothing added yet: a residual block's shortcut starts from this.
    init(lambda: Tensor, rowsPerSample: Int) {
        self.lambda = lambda
        self.rowsPerSample = rowsPerSample
        offset = [Double](repeating: 0, count: lambda.dim(0))
        magnitude = offset
    }

    var rows: Int { lambda.dim(0) }

    /// Replaces Λ by `rule(row, sample, Λ row, new row)`'s rows of `sampleShape`, rows in parallel, and adds
    /// the `(value, magnitude)` each row's rule returns into `offset` and `magnitude`. The new rows start at 0.
    mutating func map(to sampleShape: [Int], context: ExecutionContext,
                      _ rule: (Int, Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> (Double, Double)) {
        let rows = self.rows, perSample = rowsPerSample
        var result = Tensor(shape: [rows] + sampleShape)
        let inSize = lambda.sampleSize, outSize = result.sampleSize
        lambda.withUnsafePointer { lp in
        result.withUnsafeMutablePointer { rp in
        offset.withUnsafeMutableBufferPointer { offset in
        magnitude.withUnsafeMutableBufferPointer { magnitude in
            context.forEach(rows) { r in
                let (value, size) = rule(r, r / perSample, lp + r * inSize, rp + r * outSize)
                offset[r] += value
                magnitude[r] += size
            }
        }}}}
        lambda = result
    }

    /// Adds `term(row, sample, Λ row)`'s `(value, magnitude)` into each row's offset, Λ unchanged.
    mutating func add(context: ExecutionContext, _ term: (Int, Int, UnsafePointer<Float>) -> (Double, Double)) {
        let rows = self.rows, size = lambda.sampleSize, perSample = rowsPerSample
        lambda.withUnsafePointer { lp in
        offset.withUnsafeMutableBufferPointer { offset in
        magnitude.withUnsafeMutableBufferPointer { magnitude in
            context.forEach(rows) { r in
                let (value, s) = term(r, r / perSample, lp + r * size)
                offset[r] += value
                magnitude[r] += s
            }
        }}}
    }

    /// `min over x in box` of each row: `offset + sum_i (λ_i >= 0 ? λ_i lo_i : λ_i hi_i)`, in Double, with
    /// the magnitude of its terms: the CROWN bound's value (before the final allowance) per row.
    func concretised(over box: Interval, context: ExecutionContext) -> (value: [Double], magnitude: [Double]) {
        var total = self
        let size = box.lower.sampleSize
        precondition(lambda.sampleSize == size, "Certify: bound rows of \(lambda.sampleSize) coefficients for inputs of \(size)")
        box.lower.withUnsafePointer { lo in
        box.upper.withUnsafePointer { hi in
            total.add(context: context) { _, s, row in
                var value = 0.0, magnitude = 0.0
                for i in 0..<size {
                    let t = row[i] >= 0 ? Double(row[i]) * Double(lo[s * size + i]) : Double(row[i]) * Double(hi[s * size + i])
                    value += t
                    magnitude += abs(t)
                }
                return (value, magnitude)
            }
        }}
        return (total.offset, total.magnitude)
    }
}
