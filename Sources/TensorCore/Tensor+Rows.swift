/// Row (sample) access for batches: attacks shrink the batch to the samples still being attacked.
extension Tensor {
    /// Elements per sample (all dimensions but the first).
    public var sampleSize: Int { dim(0) == 0 ? 0 : count / dim(0) }

    /// Sample `i`'s elements.
    public func row(_ i: Int) -> ArraySlice<Float> {
        let d = sampleSize
        return storage[i * d..<(i + 1) * d]
    }

    /// A batch of the samples at `rows`, in that order.
    public func gathering(_ rows: [Int]) -> Tensor {
        let d = sampleSize
        var out = [Float]()
        out.reserveCapacity(rows.count * d)
        for r in rows { out += storage[r * d..<(r + 1) * d] }
        return Tensor(shape: [rows.count] + shape.dropFirst(), storage: out)
    }

    /// Overwrites sample `i` with `values`.
    public mutating func setRow(_ i: Int, _ values: some Collection<Float>) {
        let d = sampleSize
        precondition(values.count == d, "setRow: \(values.count) values for a sample of \(d)")
        storage.replaceSubrange(i * d..<(i + 1) * d, with: values)
    }
}
