import Attacks
import Certify
import Datasets
import Foundation
import Harness
import Models
import NN
import XCTest
import _TestSupport

/// Adversarial training and the training-time safeguards on a small real problem (an mlp on
/// 2,048 Fashion-MNIST images): adversarial training must buy robustness that standard training
/// on the same seed does not have, and every option must run.
final class DefenceTests: XCTestCase {
    func datasets() throws -> (train: Dataset, test: Dataset) { try FashionMNISTSplits.load() }

    func config(_ adversarial: AdversarialTraining?, augmentation: Augmentation = Augmentation(), epochs: Int = 3) -> TrainConfig {
        TrainConfig(epochs: epochs, batchSize: 64, optimizer: .sgd(momentum: 0.9, nesterov: true),
                    schedule: LearningRateSchedule(base: 0.05, decay: .cosine(minimum: 0)), seed: 4,
                    adversarial: adversarial, augmentation: augmentation)
    }

    /// Trains a fresh mlp; returns it with its report.
    func trainMLP(_ config: TrainConfig) throws -> (any Layer, TrainReport) {
        let (train, test) = try datasets()
        let model = try Model(architecture: "mlp", dataset: "fashion-mnist", inputShape: .fashionMNIST, classNames: train.classNames, seed: 4)
        let report = Harness.train(network: model.network, train: train, trainIndices: Array(0..<2048), evalSet: test,
                                   evalIndices: Array(0..<300), config: config, context: testContext)
        return (model.network, report)
    }

    /// PGD-10 accuracy at eps 0.1 on 300 test images.
    func pgdAccuracy(_ network: any Layer) throws -> Double {
        let test = try datasets().test
        let batch = test.batches(indices: Array(0..<300), batchSize: 300)[0]
        let classifier = NetworkClassifier(network: network, classes: 10, context: testContext)
        let adv = try PGD(options: AttackOptions(steps: 10)).perturb(classifier, x: batch.x, labels: batch.labels, targets: nil,
                                                                     context: AttackContext(eps: 0.1, seed: 0, indices: batch.indices))
        let z = classifier.logits(adv)
        return Double((0..<300).filter { i in (0..<10).max { z.storage[i * 10 + $0] < z.storage[i * 10 + $1] }! == batch.labels[i] }.count) / 300
    }

    func testAdversarialTrainingBuysRobustness() throws {
        let (standard, _) = try trainMLP(config(nil))
        let standardRobust = try pgdAccuracy(standard)
        for method in AdversarialTraining.Method.allCases where method != .ibp {
            let (robust, report) = try trainMLP(config(AdversarialTraining(method: method, eps: 0.1, steps: 5, warmupEpochs: 1)))
            let robustAccuracy = try pgdAccuracy(robust)
            XCTAssertGreaterThan(robustAccuracy, standardRobust + 0.15, "\(method): PGD accuracy \(robustAccuracy) vs standard \(standardRobust)")
            XCTAssertNotNil(report.epochs.last?.evalRobustAccuracy, "\(method) reports robust accuracy per epoch")
            XCTAssertGreaterThan(report.epochs.last!.evalAccuracy!, 0.5, "\(method) still learns the clean task")
        }
        let (mixed, _) = try trainMLP(config(AdversarialTraining(method: .pgd, eps: 0.1, steps: 5, warmupEpochs: 1, mix: 0.5)))
        XCTAssertGreaterThan(try pgdAccuracy(mixed), standardRobust + 0.1, "mixed clean/adversarial batches")
    }

    /// Certified training: the IBP-trained mlp has samples certified at eps = 0.1 where standard training has
    /// none, is harder to attack, and still learns; each epoch reports its certified share.
    func testIntervalTrainingBuysCertifiedRobustness() throws {
        let test = try datasets().test
        let batch = test.batches(indices: Array(0..<300), batchSize: 300)[0]
        func certified(_ network: any Layer) throws -> Double {
            let result = try certify(network: network, x: batch.x, labels: batch.labels, eps: 0.1, methods: [.ibp], context: testContext)
            return Double(result.certified.filter { $0 }.count) / 300
        }
        let (standard, _) = try trainMLP(config(nil))
        let (ibp, report) = try trainMLP(config(AdversarialTraining(method: .ibp, eps: 0.1, steps: 0, warmupEpochs: 1)))
        let (standardCertified, ibpCertified) = (try certified(standard), try certified(ibp))
        XCTAssertEqual(standardCertified, 0, accuracy: 0.02)
        XCTAssertGreaterThan(ibpCertified, 0.2, "IBP-certified share at eps 0.1 (0.29 when written)")
        XCTAssertEqual(report.epochs.last?.evalCertifiedAccuracy ?? -1, ibpCertified, accuracy: 0.1)
        XCTAssertGreaterThan(try pgdAccuracy(ibp), try pgdAccuracy(standard) + 0.1, "PGD accuracy (0.40 vs 0.26 when written)")
        XCTAssertGreaterThan(report.epochs.last!.evalAccuracy!, 0.5)
    }

    /// A TRADES step runs three training-mode forwards (clean probabilities, adversarial, clean) but
    /// moves BatchNorm's running statistics only twice, as the reference implementation does.
    func testTRADESUpdatesBatchNormStatisticsTwicePerStep() throws {
        let (train, _) = try datasets()
        let model = try Model(architecture: "resnet-lite", dataset: "fashion-mnist", inputShape: .fashionMNIST,
                              classNames: train.classNames, seed: 4)
        var c = config(AdversarialTraining(method: .trades, eps: 0.1, steps: 2), epochs: 1)
        c.batchSize = 32
        _ = Harness.train(network: model.network, train: train, trainIndices: Array(0..<96), evalSet: nil, evalIndices: [], config: c, context: testContext)
        let tracked = model.network.namedBuffers().filter { $0.name.hasSuffix("num_batches_tracked") }
        XCTAssertFalse(tracked.isEmpty)
        for (name, buffer) in tracked {
            XCTAssertEqual(buffer.value.storage[0], 6, "\(name): 3 steps x 2 statistics updates")
        }
    }

    func testEverySafeguardRunsAndLearns() throws {
        let options: [Augmentation] = [
            Augmentation(gaussianNoise: 0.1), Augmentation(uniformNoise: 0.1), Augmentation(cropPadding: 2),
            Augmentation(horizontalFlip: true), Augmentation(labelSmoothing: 0.1),
        ]
        for augmentation in options {
            var c = config(nil, augmentation: augmentation, epochs: 1)
            c.clipNorm = 5
            c.clipValue = 1
            let (_, report) = try trainMLP(c)
            let e = report.epochs[0]
            XCTAssertTrue(e.trainLoss.isFinite, "\(augmentation)")
            XCTAssertGreaterThan(e.evalAccuracy!, 0.6, "\(augmentation)")
        }
    }

    func testEpsilonWarmUpIsLinear() {
        let adv = AdversarialTraining(method: .pgd, eps: 0.1, steps: 7, warmupEpochs: 2)
        XCTAssertEqual(adv.epsilon(epoch: 0, step: 49, stepsPerEpoch: 100), 0.025, accuracy: 1e-6)
        XCTAssertEqual(adv.epsilon(epoch: 1, step: 99, stepsPerEpoch: 100), 0.1, accuracy: 1e-6)
        XCTAssertEqual(adv.epsilon(epoch: 5, step: 0, stepsPerEpoch: 100), 0.1, accuracy: 1e-6)
    }

    /// Bad combinations are usage errors (exit 2) with one line saying what to add or drop.
    func testBadCombinationsAreClearErrors() throws {
        let binary = try builtRobustBinary()
        for (arguments, expected) in [(["--adv", "pgd"], "needs --eps"), (["--eps", "0.1"], "need --adv"),
                                      (["--adv", "pgd", "--eps", "2"], "--eps must be in (0, 1]"),
                                      (["--adv", "pgd", "--eps", "0.1", "--beta", "6"], "--beta is for --adv trades only"),
                                      (["--adv", "fgsm", "--eps", "0.1"], "--adv must be pgd, fgsm-rs, trades or ibp"),
                                      (["--adv", "ibp", "--eps", "0.1", "--adv-steps", "3"], "drop --adv-steps"),
                                      (["--adv", "trades", "--eps", "0.1", "--adv-mix", "0.5"], "drop --adv-mix"),
                                      // These used to reach a precondition and die with a backtrace.
                                      (["--schedule", "step", "--step-size", "0"], "--step-size must be a positive"),
                                      (["--schedule", "step", "--gamma", "0"], "--gamma must be in (0, 1]"),
                                      (["--nesterov", "--momentum", "0"], "--nesterov needs --momentum above 0"),
                                      (["--momentum=-1"], "--momentum must be in [0, 1)"),
                                      (["--weight-decay=-1"], "--weight-decay must be 0 or positive")] {
            let result = try runCommand(binary, ["train", "--model", "cnn", "--out", "/tmp/never"] + arguments)
            let stderr = result.stderr
            XCTAssertEqual(result.code, 2, "\(arguments): \(stderr)")
            XCTAssertTrue(stderr.contains(expected), "\(arguments): \(stderr)")
            XCTAssertEqual(stderr.split(separator: "\n").count, 1, "one line: \(stderr)")
        }
    }
}
