#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The learning rate at every iteration, as a pure function of (epoch, step): no hidden state.
///
/// A schedule that is a function rather than an object stepped by the trainer can be evaluated
/// anywhere (a resumed run, a plot in a model card, a test) and always gives the same value.
/// Iterations are counted from zero: `t = epoch * stepsPerEpoch + step`, `T = epochs * stepsPerEpoch`.
///
/// Linear warm-up over the first `W = warmupEpochs * stepsPerEpoch` iterations composes with any decay:
/// ```
/// t <  W:  lr = base * (t + 1) / W                      (reaches base at the last warm-up step)
/// t >= W:  lr = decay(t)
/// ```
/// where `decay` is one of
/// ```
/// constant:  base
/// step:      base * gamma^floor(epoch / stepSize)       (torch.optim.lr_scheduler.StepLR, stepped per epoch)
/// cosine:    minimum + (base - minimum) * (1 + cos(π (t - W) / (T - W))) / 2
/// ```
/// Cosine is evaluated per iteration over the iterations after warm-up, so it starts at `base`
/// right after warm-up and ends one iteration short of `minimum` (CosineAnnealingLR with
/// `T_max = T - W`, `eta_min = minimum`, stepped per iteration).
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    /// How the learning rate falls after warm-up.
    public enum Decay: Codable, Equatable, Sendable {
        /// The base rate throughout.
        case constant
        /// Multiply by `gamma` every `stepSize` epochs.
        case step(stepSize: Int, gamma: Float)
        /// Half a cosine from the base rate down to `minimum` over the iterations after warm-up.
        case cosine(minimum: Float)
    }

    /// The peak learning rate, reached at the end of warm-up.
    public var base: Float
    /// The decay after warm-up.
    public var decay: Decay
    /// Epochs of linear warm-up (0 for none).
    public var warmupEpochs: Int

    /// A schedule with base rate `base`, decay `decay` and `warmupEpochs` of linear warm-up.
    public init(base: Float, decay: Decay = .constant, warmupEpochs: Int = 0) {
        precondition(base > 0, "LearningRateSchedule: base learning rate must be positive, got \(base)")
        precondition(warmupEpochs >= 0, "LearningRateSchedule: warm-up epochs must be >= 0, got \(warmupEpochs)")
        if case .step(let stepSize, let gamma) = decay {
            precondition(stepSize > 0 && gamma > 0, "LearningRateSchedule: step decay needs stepSize > 0 and gamma > 0")
        }
        self.base = base
        self.decay = decay
        self.warmupEpochs = warmupEpochs
    }

    /// The learning rate at batch `step` of epoch `epoch` (both from 0), in a run of `epochs`
    /// epochs of `stepsPerEpoch` batches.
    public func learningRate(epoch: Int, step: Int, stepsPerEpoch: Int, epochs: Int) -> Float {
        precondition(stepsPerEpoch > 0 && epochs > 0 && (0..<stepsPerEpoch).contains(step) && epoch >= 0,
                     "LearningRateSchedule: epoch \(epoch) step \(step) outside a run of \(epochs) x \(stepsPerEpoch)")
        let t = epoch * stepsPerEpoch + step
        let warmup = warmupEpochs * stepsPerEpoch
        if t < warmup {
            return Float(Double(base) * Double(t + 1) / Double(warmup))
        }
        switch decay {
        case .constant:
            return base
        case .step(let stepSize, let gamma):
            return Float(Double(base) * pow(Double(gamma), Double(epoch / stepSize)))
        case .cosine(let minimum):
            let span = max(1, epochs * stepsPerEpoch - warmup)
            let progress = Double(min(t - warmup, span)) / Double(span)
            return Float(Double(minimum) + (Double(base) - Double(minimum)) * (1 + cos(Double.pi * progress)) / 2)
        }
    }
}
