import Privacy

/// DP-SGD (Abadi et al. 2016) as Opacus 1.6 runs it: Poisson-sampled batches, each sample's gradient clipped
/// to L2 norm C, Gaussian noise of standard deviation σ·C added to the clipped sum, divided by the expected
/// batch size. The run is then (ε, δ)-differentially private with respect to one training sample, ε from the
/// RDP accountant (`RDPAccountant`) over all steps taken.
///
/// Codable: the model card's config records it, with the σ actually used.
public struct DifferentialPrivacy: Codable, Equatable, Sendable {
    /// σ: the noise's standard deviation per coordinate is σ·C (0 until `calibrated` when a target ε is given).
    public var noiseMultiplier: Double
    /// C: each sample's gradient (over all parameters) is clipped to this L2 norm.
    public var maxGradNorm: Float
    /// δ of the guarantee: the probability mass allowed outside ε; well below 1 / training samples.
    public var delta: Double
    /// The ε σ was calibrated to for the planned epochs, or nil when σ was given.
    public var targetEpsilon: Double?

    /// σ given.
    public init(noiseMultiplier: Double, maxGradNorm: Float, delta: Double) {
        (self.noiseMultiplier, self.maxGradNorm, self.delta, targetEpsilon) = (noiseMultiplier, maxGradNorm, delta, nil)
    }

    /// σ to be found from a target ε when the run's size is known (`calibrated`).
    public init(targetEpsilon: Double, maxGradNorm: Float, delta: Double) {
        (noiseMultiplier, self.maxGradNorm, self.delta, self.targetEpsilon) = (0, maxGradNorm, delta, targetEpsilon)
    }

    /// The name of the accountant and conversion the card records with the guarantee.
    public static let accountantName = "rdp (Mironov et al. 2019; Opacus 1.6 conversion)"

    /// q = batch size / training samples: each sample's chance of being in a step's batch.
    public static func sampleRate(batchSize: Int, trainCount: Int) -> Double {
        precondition(batchSize > 0 && trainCount >= batchSize, "DP: batch size \(batchSize) must be in 1...\(trainCount)")
        return Double(batchSize) / Double(trainCount)
    }

    /// Steps per epoch with Poisson sampling: round(1 / q), so an epoch sees every sample once on average.
    public static func stepsPerEpoch(sampleRate: Double) -> Int {
        max(1, Int((1 / sampleRate).rounded()))
    }

    /// This config with σ set, when a target ε was given, to the smallest σ whose ε after `epochs` epochs of
    /// `batchSize` over `trainCount` samples is at most the target (`noiseMultiplier(targetEpsilon:...)`).
    public func calibrated(trainCount: Int, batchSize: Int, epochs: Int) throws -> DifferentialPrivacy {
        guard let targetEpsilon else { return self }
        let q = Self.sampleRate(batchSize: batchSize, trainCount: trainCount)
        var out = self
        out.noiseMultiplier = try Privacy.noiseMultiplier(targetEpsilon: targetEpsilon, delta: delta, sampleRate: q,
                                                  steps: epochs * Self.stepsPerEpoch(sampleRate: q))
        return out
    }
}

/// The privacy spent after `steps` steps of (σ, q), at δ: what the trainer reports after each epoch.
struct PrivacyLedger {
    let privacy: DifferentialPrivacy
    let sampleRate: Double
    private var accountant = RDPAccountant()

    init(privacy: DifferentialPrivacy, sampleRate: Double) {
        (self.privacy, self.sampleRate) = (privacy, sampleRate)
    }

    /// Records an epoch's steps; returns ε at δ so far.
    mutating func record(steps: Int) -> Double {
        do {
            try accountant.record(noiseMultiplier: privacy.noiseMultiplier, sampleRate: sampleRate, steps: steps)
            return try accountant.epsilon(delta: privacy.delta).epsilon
        } catch {
            preconditionFailure("DP: the trainer was given unchecked privacy values: \(error)")
        }
    }
}
