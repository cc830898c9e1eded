import Datasets
import Foundation
import Harness
import Models
import NN
import Privacy
import XCTest
import _TestSupport

/// DP-SGD in `robust train`: the noise, the Poisson sampling, the accountant's ε per epoch, learning on a small
/// real problem (an mlp on 2,048 Fashion-MNIST images), thread independence, and the CLI's usage errors.
final class DPSGDTests: XCTestCase {
    func datasets() throws -> (train: Dataset, test: Dataset) { try FashionMNISTSplits.load() }

    /// 200,000 draws: the sample standard deviation's standard error is std / sqrt(2n) = 0.16 %, so 1 % is over
    /// six standard errors; the mean's is std / sqrt(n) = 0.22 % of std, so 1 % of std is over four.
    func testNoiseHasStandardDeviationSigmaTimesC() {
        let (sigma, c): (Float, Float) = (1.3, 0.7)
        var noise = Tensor(shape: [200_000])
        addGaussianNoise(&noise, std: sigma * c, seed: 9, context: ExecutionContext(threads: 2))
        let values = noise.storage.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
        XCTAssertEqual(std, Double(sigma * c), accuracy: 0.01 * Double(sigma * c))
        XCTAssertEqual(mean, 0, accuracy: 0.01 * Double(sigma * c))
        var serial = Tensor(shape: [200_000])
        addGaussianNoise(&serial, std: sigma * c, seed: 9, context: .serial())
        XCTAssertEqual(serial.storage, noise.storage, "the same noise with 1 and 2 threads")
        var other = Tensor(shape: [200_000])
        addGaussianNoise(&other, std: sigma * c, seed: 10, context: .serial())
        XCTAssertNotEqual(other.storage, noise.storage, "another key, other noise")
    }

    /// N = 10,000, q = 0.05 over 200 steps: the mean batch size's standard error is sqrt(N q (1 - q) / 200) = 1.5,
    /// so 1 % of q N (5) is over three.
    func testPoissonBatchesHaveMeanSizeQNAndAreSeeded() {
        let indices = Array((0..<10_000).reversed())
        let q = 0.05
        let sizes = (0..<200).map { poissonSample(indices, sampleRate: q, seed: 3, epoch: 1, step: $0).count }
        let mean = Double(sizes.reduce(0, +)) / 200
        XCTAssertEqual(mean, q * 10_000, accuracy: 0.01 * q * 10_000)
        let variance = sizes.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / 199
        XCTAssertEqual(variance, 10_000 * q * (1 - q), accuracy: 0.3 * 10_000 * q * (1 - q), "binomial spread, not fixed batches")
        let batch = poissonSample(indices, sampleRate: q, seed: 3, epoch: 1, step: 7)
        XCTAssertEqual(batch, poissonSample(indices, sampleRate: q, seed: 3, epoch: 1, step: 7), "reproducible")
        XCTAssertNotEqual(batch, poissonSample(indices, sampleRate: q, seed: 3, epoch: 1, step: 8), "another step")
        XCTAssertNotEqual(batch, poissonSample(indices, sampleRate: q, seed: 4, epoch: 1, step: 7), "another seed")
        XCTAssertEqual(batch, batch.sorted(by: >), "in the order given")
        XCTAssertEqual(poissonSample(indices, sampleRate: 1, seed: 3, epoch: 0, step: 0), indices)
    }

    func testTargetEpsilonCalibratesSigma() throws {
        let privacy = try DifferentialPrivacy(targetEpsilon: 3, maxGradNorm: 1, delta: 1e-5)
            .calibrated(trainCount: 60_000, batchSize: 2048, epochs: 40)
        let q = 2048.0 / 60_000
        XCTAssertEqual(DifferentialPrivacy.stepsPerEpoch(sampleRate: q), 29)
        var accountant = RDPAccountant()
        try accountant.record(noiseMultiplier: privacy.noiseMultiplier, sampleRate: q, steps: 40 * 29)
        let epsilon = try accountant.epsilon(delta: 1e-5).epsilon
        XCTAssertLessThanOrEqual(epsilon, 3)
        XCTAssertGreaterThan(epsilon, 2.99, "the smallest sigma within the search's tolerance 0.01")
        XCTAssertEqual(privacy.targetEpsilon, 3)
    }

    func dpConfig(threads: Int = 0, adversarial: AdversarialTraining? = nil, epochs: Int = 4) -> TrainConfig {
        TrainConfig(epochs: epochs, batchSize: 128, optimizer: .sgd(momentum: 0.9, nesterov: false),
                    schedule: LearningRateSchedule(base: 0.1), seed: 4, adversarial: adversarial,
                    privacy: DifferentialPrivacy(noiseMultiplier: 1, maxGradNorm: 1, delta: 1e-5))
    }

    func trainMLP(_ config: TrainConfig, context: ExecutionContext) throws -> (Model, TrainReport) {
        let (train, test) = try datasets()
        let model = try Model(architecture: "mlp", dataset: "fashion-mnist", inputShape: .fashionMNIST, classNames: train.classNames, seed: 4)
        let report = Harness.train(network: model.network, train: train, trainIndices: Array(0..<2048), evalSet: test,
                                   evalIndices: Array(0..<500), config: config, context: context)
        return (model, report)
    }

    /// sigma 1, C 1, q = 128 / 2048, 16 steps an epoch: learns, reports the accountant's epsilon after each
    /// epoch, and gives the same bits with 1 and 2 threads.
    func testDPTrainingLearnsReportsEpsilonAndIsThreadIndependent() throws {
        let config = dpConfig()
        let (model, report) = try trainMLP(config, context: ExecutionContext(threads: 2))
        let accuracy = report.epochs.last!.evalAccuracy!
        XCTAssertGreaterThan(accuracy, 0.6, "chance is 0.1 (0.71 on the full test split when written)")
        var accountant = RDPAccountant()
        for epoch in report.epochs {
            try accountant.record(noiseMultiplier: 1, sampleRate: 128.0 / 2048, steps: 16)
            XCTAssertEqual(epoch.dpEpsilon, try accountant.epsilon(delta: 1e-5).epsilon, "epoch \(epoch.epoch)")
            XCTAssertEqual(epoch.dpDelta, 1e-5)
        }
        XCTAssertTrue(ProgressBar.summary(report.epochs[0]).contains("DP ε "), ProgressBar.summary(report.epochs[0]))
        XCTAssertTrue(ProgressBar.summary(report.epochs[0]).contains("(δ 1e-5)"), ProgressBar.summary(report.epochs[0]))

        var oneThread = config
        oneThread.epochs = 2
        let (a, _) = try trainMLP(oneThread, context: .serial())
        let (b, _) = try trainMLP(oneThread, context: ExecutionContext(threads: 2))
        for (p, q) in zip(a.network.namedParameters(), b.network.namedParameters()) {
            XCTAssertEqual(p.parameter.value.storage, q.parameter.value.storage, "\(p.name): 1 and 2 threads")
        }
    }

    /// --adv fgsm-rs --dp: the adversarial batch is made first, then the private step on it.
    func testAdversarialTrainingComposesWithDP() throws {
        let (_, report) = try trainMLP(dpConfig(adversarial: AdversarialTraining(method: .fgsmRS, eps: 0.1, steps: 1), epochs: 1),
                                       context: testContext)
        XCTAssertTrue(report.epochs[0].trainLoss.isFinite)
        XCTAssertNotNil(report.epochs[0].dpEpsilon)
        XCTAssertNotNil(report.epochs[0].evalRobustAccuracy)
    }

    /// The whole command on 256 images: the card carries the guarantee, and a delta above 1 / samples is warned about.
    func testCommandWritesTheGuaranteeOnTheCard() throws {
        let binary = try builtRobustBinary()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpsgd-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("mlp-dp").path
        let result = try runCommand(binary, ["train", "--model", "mlp", "--samples", "256", "--epochs", "1", "--batch-size", "64",
                                             "--dp", "--target-epsilon", "8", "--delta", "0.01", "--threads", "1", "--out", out])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("robust: warning: --delta 0.01 is not below 1 / 256"), result.stderr)
        XCTAssertTrue(result.stdout.contains("-DP with σ"), result.stdout)
        let card = try JSONDecoder().decode(ModelCard.self, from: Data(contentsOf: URL(fileURLWithPath: out + ".json")))
        let recipe = card.trainingRecipe
        for key in ["dp_epsilon", "dp_delta", "dp_noise_multiplier", "dp_max_grad_norm", "dp_sample_rate", "dp_steps", "dp_accountant", "dp_target_epsilon"] {
            XCTAssertNotNil(recipe[key], key)
        }
        XCTAssertEqual(recipe["dp_sample_rate"], .number(0.25))
        XCTAssertEqual(recipe["dp_steps"], .number(4))
        XCTAssertEqual(recipe["dp_accountant"], .string("rdp (Mironov et al. 2019; Opacus 1.6 conversion)"))
        guard case .number(let epsilon)? = recipe["dp_epsilon"], case .number(let sigma)? = recipe["dp_noise_multiplier"] else {
            return XCTFail("dp_epsilon and dp_noise_multiplier are numbers")
        }
        XCTAssertLessThanOrEqual(epsilon, 8)
        XCTAssertGreaterThan(epsilon, 7.99)
        var accountant = RDPAccountant()
        try accountant.record(noiseMultiplier: sigma, sampleRate: 0.25, steps: 4)
        XCTAssertEqual(try accountant.epsilon(delta: 0.01).epsilon, epsilon)
        guard case .string(let json)? = recipe["config"] else { return XCTFail("config recorded") }
        let config = try JSONDecoder().decode(TrainConfig.self, from: Data(json.utf8))
        XCTAssertEqual(config.privacy?.noiseMultiplier, sigma, "the config records the sigma used")
    }

    /// Bad DP combinations are usage errors (exit 2) with one line saying what to add or drop.
    func testBadCombinationsAreClearErrors() throws {
        let binary = try builtRobustBinary()
        let dp = ["--dp", "--noise-multiplier", "1"]
        for (arguments, expected) in [(["--model", "cnn", "--noise-multiplier", "1"], "need --dp"),
                                      (["--model", "cnn", "--delta", "1e-5"], "need --dp"),
                                      (["--model", "cnn", "--dp"], "--dp needs --noise-multiplier"),
                                      (["--model", "cnn", "--dp", "--noise-multiplier", "1", "--target-epsilon", "3"], "not both"),
                                      (["--model", "cnn", "--dp", "--noise-multiplier", "0"], "--noise-multiplier must be a positive number"),
                                      (["--model", "cnn", "--dp", "--target-epsilon=-1"], "--target-epsilon must be a positive number"),
                                      (["--model", "cnn"] + dp + ["--max-grad-norm", "0"], "--max-grad-norm must be a positive number"),
                                      (["--model", "cnn"] + dp + ["--delta", "1"], "--delta must be in (0, 1)"),
                                      (["--model", "cnn"] + dp + ["--clip-norm", "1"], "drop --clip-norm"),
                                      (["--model", "cnn"] + dp + ["--adv", "trades", "--eps", "0.1"], "--dp composes with --adv pgd or fgsm-rs only"),
                                      (["--model", "cnn"] + dp + ["--adv", "ibp", "--eps", "0.1"], "--dp composes with --adv pgd or fgsm-rs only"),
                                      (["--model", "cnn"] + dp + ["--adv", "pgd", "--eps", "0.1", "--adv-mix", "0.5"], "drop --adv-mix"),
                                      (["--model", "resnet-lite", "--samples", "300"] + dp, "BatchNorm2d mixes the samples of a batch"),
                                      (["--model", "mlp", "--samples", "100"] + dp, "--batch-size 128 is above the 100 training samples"),
                                      (["--model", "mlp", "--samples", "1000", "--dp", "--target-epsilon", "0.001"], "--target-epsilon: no noise multiplier")] {
            let result = try runCommand(binary, ["train", "--out", "/tmp/never"] + arguments)
            let stderr = result.stderr
            XCTAssertEqual(result.code, 2, "\(arguments): \(stderr)")
            XCTAssertTrue(stderr.contains(expected), "\(arguments): \(stderr)")
            XCTAssertEqual(stderr.split(separator: "\n").count, 1, "one line: \(stderr)")
            if arguments.contains("resnet-lite") { XCTAssertTrue(stderr.contains("use --model cnn or mlp"), stderr) }
        }
    }
}

extension DPSGDTests {
    /// The shipped DP cnn (`make private-models`): its card records an (ε ≤ 3, δ = 1e-5) guarantee that the
    /// accountant reproduces from σ, q and the steps, and its clean accuracy is at least 84 % (86.52 %).
    func testShippedDPModelKeepsItsGuarantee() throws {
        let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models")
        let card = try ModelCard.read(path: models.appendingPathComponent("cnn-fmnist-dp.json").path)
        func number(_ key: String) throws -> Double {
            guard case .number(let value)? = card.trainingRecipe[key] else {
                struct MissingKey: Error { let key: String }
                throw MissingKey(key: key)
            }
            return value
        }
        let epsilon = try number("dp_epsilon"), delta = try number("dp_delta")
        XCTAssertLessThanOrEqual(epsilon, 3)
        XCTAssertEqual(delta, 1e-5)
        var accountant = RDPAccountant()
        try accountant.record(noiseMultiplier: try number("dp_noise_multiplier"), sampleRate: try number("dp_sample_rate"),
                              steps: Int(try number("dp_steps")))
        XCTAssertEqual(try accountant.epsilon(delta: delta).epsilon, epsilon, accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(card.cleanTestAccuracy), 0.84)
    }
}
