import ArgumentParser
import Foundation
import Harness

/// `robust train`: trains a zoo architecture and writes a checkpoint with its model card.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a zoo model (mlp, cnn, resnet-lite) and write <out>.safetensors plus its model card <out>.json.",
        discussion: """
        The card records the whole recipe, the seed and the clean accuracy on the full test split; the same \
        seed and thread count give bit-identical weights.

        Adversarial training replaces each batch by adversarial examples made with the attacks' input-gradient \
        path: --adv pgd (Madry et al.: random start, --adv-steps steps of 2.5*eps/steps), --adv fgsm-rs (fast \
        adversarial training: one FGSM step of 1.25*eps from a uniform random start), --adv trades (clean \
        cross-entropy plus --beta times the KL between clean and adversarial predictions). Each epoch then also \
        reports PGD-10 accuracy on 500 held-out images, so a collapse (catastrophic overfitting) shows.

        Certified training: --adv ibp (Gowal et al. 2018) trains on kappa * CE(clean) + (1 - kappa) * CE(worst-case \
        logits from interval bounds over the eps ball, last layer elided); eps ramps up over --eps-warmup-epochs and \
        1 - kappa with it, up to --adv-mix (default 0.5). mlp and cnn (no BatchNorm or residual blocks). Each epoch \
        also reports the share of 500 held-out images IBP certifies at eps; `robust certify` measures the result.

        Differential privacy: --dp trains with DP-SGD (Abadi et al. 2016, as Opacus runs it). Each step takes each \
        training image independently with probability q = batch size / samples (Poisson sampling; round(1/q) steps \
        an epoch), clips every image's gradient to L2 norm --max-grad-norm C (default 1), sums them, adds Gaussian \
        noise of standard deviation sigma*C per coordinate and divides by the batch size. The weights are then \
        (epsilon, delta)-differentially private with respect to any one training image: whether or not it was in the \
        data changes the probability of any outcome by at most a factor e^epsilon, except with probability delta \
        (--delta, default 1e-5; keep it well below 1 / samples). Give sigma (--noise-multiplier) or the epsilon to \
        reach after all epochs (--target-epsilon: sigma is found with the RDP accountant). Each epoch reports the \
        epsilon spent so far; the card records (epsilon, delta), sigma, C, q and the steps. Only the weights are \
        protected: the clean test accuracy on the card is not private. mlp and cnn only (BatchNorm mixes samples); \
        composes with --adv pgd and fgsm-rs (each image's adversarial example is clipped as the image).

        Examples:
          robust train --model cnn --dataset fashion-mnist --epochs 15 --optimizer sgd --lr 0.05 \
            --momentum 0.9 --nesterov --weight-decay 5e-4 --schedule cosine --out models/cnn-fmnist
          robust train --model cnn --adv pgd --eps 0.1 --adv-steps 7 --eps-warmup-epochs 2 --epochs 10 \
            --lr 0.05 --momentum 0.9 --nesterov --weight-decay 5e-4 --out models/cnn-fmnist-pgd
          robust train --model cnn --adv ibp --eps 0.1 --eps-warmup-epochs 10 --epochs 20 --optimizer adam \
            --lr 1e-3 --out models/cnn-fmnist-ibp
          robust train --model cnn --dp --target-epsilon 3 --delta 1e-5 --max-grad-norm 0.1 --batch-size 2048 \
            --epochs 40 --optimizer sgd --lr 4 --momentum 0.9 --schedule constant --out models/cnn-fmnist-dp
        """
    )

    @Option(help: "Architecture: mlp, cnn or resnet-lite.")
    var model: String

    @Option(help: "Dataset: fashion-mnist (default, from Debian's dataset-fashion-mnist), mnist, cifar10, imagefolder.")
    var dataset = "fashion-mnist"

    @Option(help: "Folder with the dataset's files (required for cifar10 and imagefolder).")
    var data: String?

    @Option(help: "Train on the first N training samples only (quick runs).")
    var samples: Int?

    @Option(help: "Passes over the training set.")
    var epochs = 10

    @Option(help: "Samples per optimiser step.")
    var batchSize = 128

    @Option(help: "Optimiser: sgd, adam or adamw.")
    var optimizer = "sgd"

    @Option(help: "Base learning rate.")
    var lr: Float = 0.05

    @Option(help: "SGD momentum.")
    var momentum: Float = 0.9

    @Flag(help: "Nesterov momentum (SGD).")
    var nesterov = false

    @Option(help: "Weight decay (L2 for sgd/adam, decoupled for adamw).")
    var weightDecay: Float = 0

    @Flag(help: "Do not decay biases and BatchNorm parameters.")
    var noDecayBiasNorm = false

    @Option(help: "Learning-rate schedule: constant, step, cosine.")
    var schedule = "cosine"

    @Option(help: "Step schedule: epochs between decays.")
    var stepSize = 5

    @Option(help: "Step schedule: factor per decay.")
    var gamma: Float = 0.1

    @Option(help: "Epochs of linear learning-rate warm-up.")
    var warmupEpochs = 0

    @Option(help: "Clip gradients to this global L2 norm.")
    var clipNorm: Float?

    @Option(help: "Clip each gradient element to [-v, v].")
    var clipValue: Float?

    @Option(help: "Seed for initialisation and shuffling.")
    var seed: UInt64 = 0

    @Option(help: "Threads (results do not depend on it).")
    var threads = ExecutionContext.availableCores

    @Option(help: "Adversarial training: pgd, fgsm-rs, trades, or ibp (certified training).")
    var adv: String?

    @Option(help: "Adversarial training radius (L-inf, pixel units, e.g. 0.1 or 8/255). Required with --adv.")
    var eps: String?

    @Option(help: "Attack steps per batch (pgd, trades; default 7 for pgd, 10 for trades).")
    var advSteps: Int?

    @Option(help: "TRADES: weight of the KL term.")
    var beta: Float?

    @Option(help: "Weight of the adversarial loss (pgd, fgsm-rs): 1 replaces each batch by adversarial examples, 0.5 mixes clean and adversarial losses equally. ibp: the bound loss's final weight 1 - kappa (default 0.5).")
    var advMix: Float?

    @Option(help: "Epochs over which eps grows linearly from 0.")
    var epsWarmupEpochs = 0

    @Option(help: "Gaussian pixel-noise augmentation: standard deviation.")
    var noiseGaussian: Float = 0

    @Option(help: "Uniform pixel-noise augmentation: half-width.")
    var noiseUniform: Float = 0

    @Option(help: "Random crop after zero-padding by this many pixels.")
    var cropPadding = 0

    @Flag(help: "Random horizontal flips (only for data whose mirror images keep their class).")
    var flip = false

    @Option(help: "Label smoothing in [0, 1).")
    var labelSmoothing: Float = 0

    @Flag(help: "Differentially private training (DP-SGD): Poisson batches, per-image clipping, Gaussian noise.")
    var dp = false

    @Option(help: "DP: sigma, the noise's standard deviation as a multiple of --max-grad-norm (e.g. 1.0). Or give --target-epsilon.")
    var noiseMultiplier: Double?

    @Option(help: "DP: the epsilon to spend over all epochs; sigma is the smallest that reaches it (e.g. 3). Or give --noise-multiplier.")
    var targetEpsilon: Double?

    @Option(help: "DP: C, the L2 norm each image's gradient is clipped to (default 1).")
    var maxGradNorm: Float?

    @Option(help: "DP: delta of the (epsilon, delta) guarantee, in (0, 1) and well below 1 / training samples (default 1e-5).")
    var delta: Double?

    @Option(help: "Output path without extension, e.g. models/cnn-fmnist.")
    var out: String

    func validate() throws {
        guard epochs > 0, batchSize > 0, threads > 0 else { throw ValidationError("--epochs, --batch-size and --threads must be positive.") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number (got \(lr)).") }
        guard ["sgd", "adam", "adamw"].contains(optimizer) else { throw ValidationError("--optimizer must be sgd, adam or adamw (got '\(optimizer)').") }
        guard ["constant", "step", "cosine"].contains(schedule) else { throw ValidationError("--schedule must be constant, step or cosine (got '\(schedule)').") }
        guard warmupEpochs >= 0, warmupEpochs < epochs else { throw ValidationError("--warmup-epochs must be in 0..<epochs (got \(warmupEpochs)).") }
        if let clipNorm, !(clipNorm > 0) { throw ValidationError("--clip-norm must be positive (got \(clipNorm)).") }
        if let clipValue, !(clipValue > 0) { throw ValidationError("--clip-value must be positive (got \(clipValue)).") }
        if let samples, samples <= 0 { throw ValidationError("--samples must be positive (got \(samples)).") }
        if let adv {
            guard AdversarialTraining.Method(rawValue: adv) != nil else { throw ValidationError("--adv must be pgd, fgsm-rs, trades or ibp (got '\(adv)').") }
            guard let eps else { throw ValidationError("--adv \(adv) needs --eps (the L-inf radius, e.g. --eps 0.1).") }
            guard let value = Epsilon.parse(eps), value > 0, value <= 1 else { throw ValidationError("--eps must be in (0, 1] (got '\(eps)').") }
        } else if eps != nil || advSteps != nil || beta != nil || advMix != nil || epsWarmupEpochs > 0 {
            throw ValidationError("--eps, --adv-steps, --adv-mix, --beta and --eps-warmup-epochs need --adv pgd|fgsm-rs|trades|ibp.")
        }
        if let advMix {
            guard advMix > 0, advMix <= 1 else { throw ValidationError("--adv-mix must be in (0, 1] (got \(advMix)).") }
            guard adv != "trades" else { throw ValidationError("--adv trades has its own clean/adversarial balance (--beta); drop --adv-mix.") }
        }
        if beta != nil && adv != "trades" { throw ValidationError("--beta is for --adv trades only.") }
        if advSteps != nil && adv == "fgsm-rs" { throw ValidationError("--adv fgsm-rs takes one step; drop --adv-steps.") }
        if advSteps != nil && adv == "ibp" { throw ValidationError("--adv ibp bounds the loss instead of attacking; drop --adv-steps.") }
        if let advSteps, advSteps <= 0 { throw ValidationError("--adv-steps must be positive (got \(advSteps)).") }
        guard epsWarmupEpochs >= 0, epsWarmupEpochs < epochs else { throw ValidationError("--eps-warmup-epochs must be in 0..<epochs.") }
        try validatePrivacy()
        guard noiseGaussian >= 0, noiseUniform >= 0, cropPadding >= 0 else { throw ValidationError("noise and --crop-padding must not be negative.") }
        guard labelSmoothing >= 0, labelSmoothing < 1 else { throw ValidationError("--label-smoothing must be in [0, 1) (got \(labelSmoothing)).") }
        // The optimiser and schedule check these with preconditions (programmer errors); from a flag they are usage errors.
        guard momentum >= 0, momentum < 1 else { throw ValidationError("--momentum must be in [0, 1) (got \(momentum)).") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw ValidationError("--weight-decay must be 0 or positive (got \(weightDecay)).") }
        if nesterov && momentum == 0 { throw ValidationError("--nesterov needs --momentum above 0.") }
        if nesterov && optimizer != "sgd" { throw ValidationError("--nesterov is for --optimizer sgd only.") }
        if schedule == "step" {
            guard stepSize > 0 else { throw ValidationError("--step-size must be a positive number of epochs (got \(stepSize)).") }
            guard gamma > 0, gamma <= 1 else { throw ValidationError("--gamma must be in (0, 1] (got \(gamma)).") }
        }
    }

    /// The DP-SGD flags: only with --dp, sigma or a target epsilon (one), and nothing DP-SGD would not honour.
    func validatePrivacy() throws {
        guard dp else {
            if noiseMultiplier != nil || targetEpsilon != nil || maxGradNorm != nil || delta != nil {
                throw ValidationError("--noise-multiplier, --target-epsilon, --max-grad-norm and --delta need --dp.")
            }
            return
        }
        switch (noiseMultiplier, targetEpsilon) {
        case (nil, nil): throw ValidationError("--dp needs --noise-multiplier (sigma, e.g. 1.0) or --target-epsilon (e.g. 3).")
        case (.some, .some): throw ValidationError("--dp takes --noise-multiplier or --target-epsilon, not both (sigma is found from the target).")
        default: break
        }
        if let noiseMultiplier, !(noiseMultiplier > 0 && noiseMultiplier.isFinite) {
            throw ValidationError("--noise-multiplier must be a positive number (got \(noiseMultiplier)).")
        }
        if let targetEpsilon, !(targetEpsilon > 0 && targetEpsilon.isFinite) {
            throw ValidationError("--target-epsilon must be a positive number (got \(targetEpsilon)).")
        }
        if let maxGradNorm, !(maxGradNorm > 0 && maxGradNorm.isFinite) {
            throw ValidationError("--max-grad-norm must be a positive number (got \(maxGradNorm)).")
        }
        if let delta, !(delta > 0 && delta < 1) { throw ValidationError("--delta must be in (0, 1) (got \(delta)).") }
        if clipNorm != nil || clipValue != nil {
            throw ValidationError("--dp clips each image's gradient to --max-grad-norm; drop --clip-norm and --clip-value.")
        }
        if let adv, adv == "trades" || adv == "ibp" {
            throw ValidationError("--dp composes with --adv pgd or fgsm-rs only: --adv \(adv) mixes a clean and a second loss per image, which DP-SGD does not clip yet.")
        }
        if let advMix, advMix < 1 {
            throw ValidationError("--dp with --adv-mix below 1 would need the norm of each image's clean plus adversarial gradient; drop --adv-mix.")
        }
    }

    func run() throws {
        let decay: LearningRateSchedule.Decay
        switch schedule {
        case "step": decay = .step(stepSize: stepSize, gamma: gamma)
        case "cosine": decay = .cosine(minimum: 0)
        default: decay = .constant
        }
        let choice: TrainConfig.OptimizerChoice
        switch optimizer {
        case "adam": choice = .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8)
        case "adamw": choice = .adamW(beta1: 0.9, beta2: 0.999, eps: 1e-8)
        default: choice = .sgd(momentum: momentum, nesterov: nesterov)
        }
        let adversarial = adv.flatMap(AdversarialTraining.Method.init).map { method in
            AdversarialTraining(method: method, eps: Float(Epsilon.parse(eps!)!), steps: advSteps ?? (method == .trades ? 10 : 7),
                                beta: beta ?? 6, warmupEpochs: epsWarmupEpochs, mix: advMix)
        }
        let privacy: DifferentialPrivacy? = !dp ? nil : targetEpsilon.map {
            DifferentialPrivacy(targetEpsilon: $0, maxGradNorm: maxGradNorm ?? 1, delta: delta ?? 1e-5)
        } ?? DifferentialPrivacy(noiseMultiplier: noiseMultiplier!, maxGradNorm: maxGradNorm ?? 1, delta: delta ?? 1e-5)
        let config = TrainConfig(epochs: epochs, batchSize: batchSize, optimizer: choice, weightDecay: weightDecay,
                                 noDecayOnBiasAndNorm: noDecayBiasNorm,
                                 schedule: LearningRateSchedule(base: lr, decay: decay, warmupEpochs: warmupEpochs),
                                 clipNorm: clipNorm, clipValue: clipValue, seed: seed,
                                 adversarial: adversarial,
                                 augmentation: Augmentation(gaussianNoise: noiseGaussian, uniformNoise: noiseUniform, cropPadding: cropPadding,
                                                            horizontalFlip: flip, labelSmoothing: labelSmoothing),
                                 privacy: privacy)
        let request = TrainRequest(architecture: model, dataset: dataset, dataDirectory: data, samples: samples,
                                   config: config, out: out)
        let bar = ProgressBar()
        let (card, report) = try trainModel(request, context: ExecutionContext(threads: threads), progress: bar.handle) { note in
            FileHandle.standardError.write(Data("robust: \(note)\n".utf8))
        }
        let accuracy = card.cleanTestAccuracy.map { String(format: "%.2f %%", 100 * $0) } ?? "n/a"
        let speed = report.epochs.map(\.imagesPerSecond).sorted()[report.epochs.count / 2]
        if let collapse = catastrophicOverfitting(report) {
            FileHandle.standardError.write(Data("robust: warning: catastrophic overfitting: \(collapse); use --adv pgd, a smaller learning rate or --eps-warmup-epochs\n".utf8))
        }
        var guarantee = ""
        if let privacy = report.config.privacy, let epsilon = report.epochs.last?.dpEpsilon {
            guarantee = String(format: ", (ε %.2f, δ ", epsilon) + ProgressBar.scientific(privacy.delta)
                + String(format: ")-DP with σ %.4g", privacy.noiseMultiplier)
        }
        let weights = request.checkpointPath
        print("wrote \(weights) and \(ModelCard.path(forCheckpoint: weights)): \(card.architecture), \(card.parameterCount) parameters, "
              + "clean test accuracy \(accuracy)\(guarantee), median \(Int(speed)) train images/s, \(Int(report.seconds)) s")
    }
}
