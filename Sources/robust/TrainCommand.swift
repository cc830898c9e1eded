import ArgumentParser
import Foundation
import Harness
import Kernels
import NN

/// `robust train`: trains a zoo architecture and writes a checkpoint with its model card.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a zoo model (mlp, cnn, resnet-lite) and write <out>.safetensors plus its model card <out>.json.",
        discussion: """
        The card records the whole recipe, the seed and the clean accuracy on the full test split; the same \
        seed and thread count give bit-identical weights.

        Example: robust train --model cnn --dataset fashion-mnist --epochs 15 --optimizer sgd --lr 0.05 \
        --momentum 0.9 --nesterov --weight-decay 5e-4 --schedule cosine --out models/cnn-fmnist
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
    var threads = Parallel.defaultThreads

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
        let config = TrainConfig(epochs: epochs, batchSize: batchSize, optimizer: choice, weightDecay: weightDecay,
                                 noDecayOnBiasAndNorm: noDecayBiasNorm,
                                 schedule: LearningRateSchedule(base: lr, decay: decay, warmupEpochs: warmupEpochs),
                                 clipNorm: clipNorm, clipValue: clipValue, seed: seed, threads: threads)
        let request = TrainRequest(architecture: model, dataset: dataset, dataDirectory: data, samples: samples,
                                   config: config, out: out)
        let bar = ProgressBar()
        let (card, report) = try trainModel(request, progress: bar.handle)
        let accuracy = card.cleanTestAccuracy.map { String(format: "%.2f %%", 100 * $0) } ?? "n/a"
        let speed = report.epochs.map(\.imagesPerSecond).sorted()[report.epochs.count / 2]
        print("wrote \(out).safetensors and \(out).json: \(card.architecture), \(card.parameterCount) parameters, "
              + "clean test accuracy \(accuracy), median \(Int(speed)) train images/s, \(Int(report.seconds)) s")
    }
}
