import TensorCore

extension Tensor {
    /// A tensor whose elements are not initialised: for outputs a kernel writes in full.
    ///
    /// Why: `Tensor(shape:)` zero-fills, and for a layer output that a GEMM (beta 0) or an
    /// elementwise kernel overwrites anyway that is a wasted pass over up to 25 MiB per batch.
    init(uninitializedShape shape: [Int]) {
        let count = shape.reduce(1, *)
        self.init(shape: shape, storage: [Float](unsafeUninitializedCapacity: count) { _, initialized in
            initialized = count
        })
    }
}
