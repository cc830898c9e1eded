import NN

/// Everything that determines a training run: with the same config, data and initial weights the
/// result is bit-identical.
///
/// Codable so a model card can record the exact recipe that produced its weights.
public struct TrainConfig: Codable, Equatable, Sendable {
    /// The optimiser and its hyper-parameters (the learning rate comes from `schedule`).
    public enum OptimizerChoice: Codable, Equatable, Sendable {
        /// `SGD(momentum:nesterov:)`; momentum 0 is plain SGD.
        case sgd(momentum: Float, nesterov: Bool)
        /// `Adam(beta1:beta2:eps:)` with L2 weight decay added to the gradient.
        case adam(beta1: Float, beta2: Float, eps: Float)
        /// `AdamW(beta1:beta2:eps:)` with decoupled weight decay.
        case adamW(beta1: Float, beta2: Float, eps: Float)
    }

    /// Passes over the training indices.
    public var epochs: Int
    /// Samples per optimiser step; the last batch of an epoch may be smaller (PyTorch's `drop_last=False`).
    public var batchSize: Int
    /// Optimiser and its hyper-parameters.
    public var optimizer: OptimizerChoice
    /// Weight decay λ (L2 for SGD and Adam, decoupled for AdamW).
    public var weightDecay: Float
    /// Exempt rank-0/1 parameters (biases, BatchNorm weight and bias) from weight decay
    /// (`NoDecay.oneDimensional`); false decays everything, as PyTorch does by default.
    public var noDecayOnBiasAndNorm: Bool
    /// Learning rate per iteration, including warm-up.
    public var schedule: LearningRateSchedule
    /// Global L2 norm the gradients are clipped to before each step (`clipGradNorm`), or nil.
    public var clipNorm: Float?
    /// Element-wise gradient bound (`clipGradValue`), or nil; applied before `clipNorm` when both are set.
    public var clipValue: Float?
    /// Run seed: epoch `e` shuffles with `SplitMix64(seed: SplitMix64.derive(seed, e))`.
    public var seed: UInt64
    /// Adversarial training, or nil for standard training.
    public var adversarial: AdversarialTraining?
    /// Noise, crops, flips and label smoothing (all off by default).
    public var augmentation: Augmentation
    /// DP-SGD: Poisson-sampled batches of expected size `batchSize`, per-sample clipping and Gaussian noise;
    /// nil for ordinary training.
    public var privacy: DifferentialPrivacy?

    /// A config with the given recipe; defaults are plain SGD, no decay, no clipping, seed 0, no privacy.
    public init(epochs: Int, batchSize: Int, optimizer: OptimizerChoice = .sgd(momentum: 0, nesterov: false),
                weightDecay: Float = 0, noDecayOnBiasAndNorm: Bool = false, schedule: LearningRateSchedule,
                clipNorm: Float? = nil, clipValue: Float? = nil, seed: UInt64 = 0,
                adversarial: AdversarialTraining? = nil, augmentation: Augmentation = Augmentation(),
                privacy: DifferentialPrivacy? = nil) {
        precondition(epochs > 0 && batchSize > 0, "TrainConfig: epochs \(epochs) and batch size \(batchSize) must be positive")
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.weightDecay = weightDecay
        self.noDecayOnBiasAndNorm = noDecayOnBiasAndNorm
        self.schedule = schedule
        self.clipNorm = clipNorm
        self.clipValue = clipValue
        self.seed = seed
        self.adversarial = adversarial
        self.augmentation = augmentation
        self.privacy = privacy
    }

    /// A fresh optimiser (empty state) for this config.
    public func makeOptimizer() -> any Optimizer {
        let noDecay = noDecayOnBiasAndNorm ? NoDecay.oneDimensional : NoDecay.none
        switch optimizer {
        case .sgd(let momentum, let nesterov):
            return SGD(momentum: momentum, nesterov: nesterov, weightDecay: weightDecay, noDecay: noDecay)
        case .adam(let beta1, let beta2, let eps):
            return Adam(beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, noDecay: noDecay)
        case .adamW(let beta1, let beta2, let eps):
            return AdamW(beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, noDecay: noDecay)
        }
    }
}
