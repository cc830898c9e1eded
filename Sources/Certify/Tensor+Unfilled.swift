import TensorCore

extension Tensor {
    /// A tensor whose elements the caller writes in full before reading: no zero fill (the bound tensors are
    /// as large as the activations, and a fill is a pass over them for nothing).
    init(unfilled shape: [Int]) {
        let count = shape.reduce(1, *)
        self.init(shape: shape, storage: [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count })
    }
}
