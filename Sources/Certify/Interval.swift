import TensorCore

/// Elementwise bounds on a batch, `lower <= z <= upper` for every value z the inputs can reach; `[N, ...]`.
public struct Interval: Sendable, Equatable {
    public var lower: Tensor
    public var upper: Tensor

    public init(lower: Tensor, upper: Tensor) {
        precondition(lower.shape == upper.shape, "Interval: lower \(lower.shape) and upper \(upper.shape) differ in shape")
        self.lower = lower
        self.upper = upper
    }

    /// The L∞ ball of radius `eps` around each image of `x` (pixels in [0, 1]) intersected with the box [0, 1]:
    /// `[max(0, x - eps), min(1, x + eps)]`, rounded outward so it holds the real ball.
    public init(ball x: Tensor, eps: Float) {
        precondition(eps >= 0 && eps.isFinite, "Interval: eps must be finite and >= 0, got \(eps)")
        precondition(x.storage.allSatisfy { $0 >= 0 && $0 <= 1 }, "Interval: pixels must lie in [0, 1] (x of shape \(x.shape))")
        let e = Double(eps)
        self.init(lower: Tensor(shape: x.shape, storage: x.storage.map { max(0, Rounding.roundedDown(Double($0) - e)) }),
                  upper: Tensor(shape: x.shape, storage: x.storage.map { min(1, Rounding.roundedUp(Double($0) + e)) }))
    }

    /// Samples in the batch.
    public var samples: Int { lower.dim(0) }

    /// The shape of one sample.
    var sampleShape: [Int] { Array(lower.shape.dropFirst()) }

    /// `max(|lower|, |upper|)`, a bound on `|z|` (exact in Float).
    var magnitude: Tensor {
        Tensor(shape: lower.shape, storage: zip(lower.storage, upper.storage).map { max(abs($0), abs($1)) })
    }

    /// The same bounds under another sample shape.
    func reshaped(sampleShape: [Int]) -> Interval {
        let shape = [samples] + sampleShape
        return Interval(lower: lower.reshaped(shape), upper: upper.reshaped(shape))
    }
}
