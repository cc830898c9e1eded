#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Attacks
import NN
import Workflow

/// Adversarial training: how each training batch is replaced by adversarial examples.
public struct AdversarialTraining: Codable, Equatable, Sendable {
    public enum Method: String, Codable, Sendable, CaseIterable {
        /// Madry et al. 2018: PGD from a random start, step 2.5 * eps / steps; the batch is replaced.
        case pgd
        /// Wong et al. 2020 (fast adversarial training): one FGSM step of 1.25 * eps from a uniform random start.
        case fgsmRS = "fgsm-rs"
        /// Zhang et al. 2019: CE on clean inputs + beta * KL(f(x) || f(x')), x' maximising the KL.
        case trades
        /// Gowal et al. 2018: kappa * CE(clean) + (1 - kappa) * CE(IBP's worst-case logits), certified training;
        /// kappa falls from 1 to 1 - mix while eps ramps up.
        case ibp
    }

    public var method: Method
    /// L-inf radius in pixel units.
    public var eps: Float
    public var steps: Int
    /// TRADES' weight of the KL term.
    public var beta: Float
    /// Epochs over which eps grows linearly from 0 to `eps` (0: full eps from the start).
    public var warmupEpochs: Int
    /// Weight of the adversarial loss (pgd, fgsm-rs): 1 replaces each batch by its adversarial
    /// examples; m < 1 trains on (1 - m) * CE(clean) + m * CE(adversarial) (Goodfellow et al.'s mix).
    /// For ibp, the bound loss's weight once eps is fully ramped up (1 - kappa; Gowal et al. end at 0.5).
    public var mix: Float

    /// `mix` nil: 1 for the attacks (the batch is replaced), 0.5 for ibp (Gowal et al.'s final kappa).
    public init(method: Method, eps: Float, steps: Int, beta: Float = 6, warmupEpochs: Int = 0, mix: Float? = nil) {
        self.method = method
        self.eps = eps
        self.steps = steps
        self.beta = beta
        self.warmupEpochs = warmupEpochs
        self.mix = mix ?? (method == .ibp ? 0.5 : 1)
    }

    /// Epsilon for a step of an epoch: linear warm-up over `warmupEpochs`, by step.
    public func epsilon(epoch: Int, step: Int, stepsPerEpoch: Int) -> Float {
        guard warmupEpochs > 0 else { return eps }
        let progress = (Float(epoch) + Float(step + 1) / Float(max(1, stepsPerEpoch))) / Float(warmupEpochs)
        return eps * min(1, progress)
    }

    /// ibp: the bound loss's weight `1 - kappa` at a step, growing with eps from 0 to `mix` (Gowal et al.'s
    /// kappa ramp, tied to the eps ramp so the clean loss leads while the bounds are loose).
    public func boundWeight(epoch: Int, step: Int, stepsPerEpoch: Int) -> Float {
        mix * epsilon(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch) / eps
    }
}

/// Training-time augmentation and regularisation that compose with or without adversarial training.
public struct Augmentation: Codable, Equatable, Sendable {
    /// Standard deviation of Gaussian pixel noise added to each training image (then clipped to [0, 1]).
    public var gaussianNoise: Float = 0
    /// Half-width of uniform pixel noise.
    public var uniformNoise: Float = 0
    /// Random crop after zero padding by this many pixels (0: off).
    public var cropPadding: Int = 0
    /// Random horizontal flips (only for data where a mirrored image keeps its class).
    public var horizontalFlip: Bool = false
    /// Label smoothing: targets are (1 - s) one-hot + s / K.
    public var labelSmoothing: Float = 0

    public init(gaussianNoise: Float = 0, uniformNoise: Float = 0, cropPadding: Int = 0, horizontalFlip: Bool = false, labelSmoothing: Float = 0) {
        self.gaussianNoise = gaussianNoise
        self.uniformNoise = uniformNoise
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
        self.labelSmoothing = labelSmoothing
    }

    /// Whether any pixel augmentation is on (label smoothing acts on the loss).
    var changesPixels: Bool { gaussianNoise > 0 || uniformNoise > 0 || cropPadding > 0 || horizontalFlip }

    /// Augments a batch in place; each image draws from its own stream keyed by (seed, epoch, global index).
    func apply(_ x: inout Tensor, indices: [Int], seed: UInt64, epoch: Int) {
        guard changesPixels else { return }
        let n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), d = c * h * w
        for i in 0..<n {
            var rng = SplitMix64(seed: SplitMix64.derive(seed, 0x6175_6720, UInt64(epoch), UInt64(indices[i]))) // "aug "
            let image = Array(x.storage[i * d..<(i + 1) * d])
            var out = image
            if cropPadding > 0 || horizontalFlip {
                let dy = cropPadding > 0 ? rng.nextInt(2 * cropPadding + 1) - cropPadding : 0
                let dx = cropPadding > 0 ? rng.nextInt(2 * cropPadding + 1) - cropPadding : 0
                let flip = horizontalFlip && rng.nextInt(2) == 1
                for ch in 0..<c {
                    for r in 0..<h {
                        for col in 0..<w {
                            let sr = r + dy, scRaw = col + dx
                            let sc = flip ? w - 1 - scRaw : scRaw
                            out[(ch * h + r) * w + col] = (0..<h).contains(sr) && (0..<w).contains(sc) ? image[(ch * h + sr) * w + sc] : 0
                        }
                    }
                }
            }
            if gaussianNoise > 0 { for j in 0..<d { out[j] += gaussianNoise * rng.nextGaussian() } }
            if uniformNoise > 0 { for j in 0..<d { out[j] += (2 * rng.nextFloat() - 1) * uniformNoise } }
            for j in 0..<d { x.storage[i * d + j] = min(max(out[j], 0), 1) }
        }
    }
}

/// Softmax cross-entropy against label-smoothed targets, mean over the batch, and its gradient.
/// With smoothing 0 it is `crossEntropy(logits:labels:)`.
func smoothedCrossEntropy(logits: Tensor, labels: [Int], smoothing: Float) -> (loss: Float, dLogits: Tensor) {
    guard smoothing > 0 else { return crossEntropy(logits: logits, labels: labels) }
    let n = logits.dim(0), k = logits.dim(1)
    var dLogits = Tensor(shape: logits.shape)
    var total = 0.0
    for i in 0..<n {
        let z = logits.logitRow(i)
        let lse = logSumExp(z)
        for j in 0..<k {
            let target = Double(smoothing) / Double(k) + (j == labels[i] ? 1 - Double(smoothing) : 0)
            total += target * (lse - z[j])
            dLogits.storage[i * k + j] = Float((exp(z[j] - lse) - target) / Double(n))
        }
    }
    return (Float(total / Double(n)), dLogits)
}

