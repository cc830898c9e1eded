/// What one epoch of training achieved and how long it took.
public struct EpochReport: Codable, Equatable, Sendable {
    /// Epoch number, from 0.
    public var epoch: Int
    /// Mean training loss over the epoch's samples (each batch's mean loss weighted by its size),
    /// measured in training mode as the weights changed: it lags the end-of-epoch weights.
    public var trainLoss: Double
    /// Fraction of the epoch's training samples classified correctly, measured like `trainLoss`.
    public var trainAccuracy: Double
    /// Held-out loss at the end of the epoch in inference mode, or nil without an evaluation set.
    public var evalLoss: Double?
    /// Held-out accuracy at the end of the epoch in inference mode, or nil without an evaluation set.
    public var evalAccuracy: Double?
    /// Learning rate of the epoch's last step.
    public var learningRate: Float
    /// Training throughput: samples / `trainSeconds`.
    public var imagesPerSecond: Double
    /// Wall-clock seconds of the training steps (forward, backward, optimiser).
    public var trainSeconds: Double
    /// Wall-clock seconds of the held-out evaluation.
    public var evalSeconds: Double
    /// Adversarial training only: PGD-10 accuracy at the training epsilon on the first 500 held-out samples.
    public var evalRobustAccuracy: Double?
    /// IBP training only: the fraction of the first 500 held-out samples IBP certifies at the training epsilon.
    public var evalCertifiedAccuracy: Double?
    /// DP-SGD only: ε spent by all steps so far, at `dpDelta` (RDP accountant).
    public var dpEpsilon: Double?
    /// DP-SGD only: the δ of `dpEpsilon`.
    public var dpDelta: Double?

    /// An epoch record with every field given.
    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, evalLoss: Double?, evalAccuracy: Double?,
                learningRate: Float, imagesPerSecond: Double, trainSeconds: Double, evalSeconds: Double, evalRobustAccuracy: Double? = nil,
                evalCertifiedAccuracy: Double? = nil, dpEpsilon: Double? = nil, dpDelta: Double? = nil) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.evalLoss = evalLoss
        self.evalAccuracy = evalAccuracy
        self.learningRate = learningRate
        self.imagesPerSecond = imagesPerSecond
        self.trainSeconds = trainSeconds
        self.evalSeconds = evalSeconds
        self.evalRobustAccuracy = evalRobustAccuracy
        self.evalCertifiedAccuracy = evalCertifiedAccuracy
        self.dpEpsilon = dpEpsilon
        self.dpDelta = dpDelta
    }
}

/// The record of a training run: the recipe and every epoch's numbers.
public struct TrainReport: Codable, Equatable, Sendable {
    /// The recipe that was run.
    public var config: TrainConfig
    /// Training samples per epoch.
    public var trainCount: Int
    /// Held-out samples evaluated after each epoch (0 without an evaluation set).
    public var evalCount: Int
    /// One entry per epoch, in order.
    public var epochs: [EpochReport]
    /// Wall-clock seconds of the whole run.
    public var seconds: Double
}
