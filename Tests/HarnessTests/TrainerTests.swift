import Datasets
import Foundation
import Harness
import Kernels
import NN
import XCTest
import _TestSupport

/// End-to-end training on tiny synthetic problems: it learns, and it is reproducible bit for bit.
final class TrainerTests: XCTestCase {
    /// Two linearly separable classes of 1×size×size images: class 0 is bright on the left half,
    /// class 1 on the right half, both with uniform noise from a fixed seed.
    func makeDataset(count: Int, size: Int, seed: UInt64) -> Dataset {
        var rng = SplitMix64(seed: seed)
        var pixels: [UInt8] = []
        var labels: [Int] = []
        for i in 0..<count {
            let label = i % 2
            for _ in 0..<size {
                for col in 0..<size {
                    let bright = (col < size / 2) == (label == 0)
                    pixels.append(UInt8((bright ? 150 : 0) + rng.nextInt(100)))
                }
            }
            labels.append(label)
        }
        return Dataset(name: "halves", classNames: ["left", "right"], channels: 1, height: size, width: size,
                       pixels: pixels, labels: labels)
    }

    /// A tiny conv net with a BatchNorm: 1×8×8 -> conv 4 -> BN -> ReLU -> pool -> 4×4×4 -> linear 2.
    func makeConvNet(seed: UInt64) -> Sequential {
        Sequential(
            Conv2d(1, 4, kernelSize: 3, padding: 1, bias: false, seed: seed),
            BatchNorm2d(4),
            ReLU(),
            MaxPool2d(kernelSize: 2),
            Flatten(),
            Linear(64, 2, seed: seed + 1)
        )
    }

    /// Every parameter and buffer, flattened in `state_dict` order.
    func state(_ network: any Layer) -> [Float] {
        network.namedState().flatMap { $0.parameter.value.storage }
    }

    func convConfig(seed: UInt64) -> TrainConfig {
        TrainConfig(epochs: 2, batchSize: 8, optimizer: .sgd(momentum: 0.9, nesterov: true), weightDecay: 5e-4,
                    noDecayOnBiasAndNorm: true,
                    schedule: LearningRateSchedule(base: 0.05, decay: .cosine(minimum: 0), warmupEpochs: 1),
                    clipNorm: 5, seed: seed)
    }

    func testLinearModelReachesFullTrainingAccuracy() {
        let data = makeDataset(count: 64, size: 4, seed: 1)
        let network = Sequential(Flatten(), Linear(16, 2, seed: 3))
        let indices = Array(0..<64)
        let config = TrainConfig(epochs: 5, batchSize: 8, optimizer: .sgd(momentum: 0.9, nesterov: false),
                                 schedule: LearningRateSchedule(base: 0.1), seed: 5)
        var steps = 0, epochs = 0
        let report = train(network: network, train: data, trainIndices: indices, evalSet: data, evalIndices: indices,
                           config: config, context: testContext, progress: { event in
            switch event {
            case .step: steps += 1
            case .epoch: epochs += 1
            }
        })
        XCTAssertEqual(report.epochs.count, 5)
        XCTAssertEqual([steps, epochs], [5 * 8, 5], "one event per step (64 / 8 per epoch) and per epoch")
        XCTAssertEqual(report.epochs.last?.evalAccuracy, 1)
        XCTAssertEqual(evaluateAccuracy(network: network, dataset: data, indices: indices, batchSize: 16, context: testContext), 1)
        XCTAssertLessThan(report.epochs.last!.trainLoss, report.epochs.first!.trainLoss)
        XCTAssertFalse(network.isTraining, "train leaves the network in inference mode")
    }

    func testAdamWTrainsTheConvNet() {
        let data = makeDataset(count: 32, size: 8, seed: 2)
        let network = makeConvNet(seed: 11)
        let indices = Array(0..<32)
        let config = TrainConfig(epochs: 3, batchSize: 8, optimizer: .adamW(beta1: 0.9, beta2: 0.999, eps: 1e-8),
                                 weightDecay: 0.01, schedule: LearningRateSchedule(base: 0.01), seed: 1)
        train(network: network, train: data, trainIndices: indices, evalSet: nil, evalIndices: [], config: config, context: testContext)
        XCTAssertEqual(evaluateAccuracy(network: network, dataset: data, indices: indices, batchSize: 32, context: testContext), 1)
    }

    func testSameSeedGivesBitIdenticalWeightsAndOtherSeedDiffers() {
        let data = makeDataset(count: 40, size: 8, seed: 3)
        let indices = Array(0..<40)
        func run(seed: UInt64) -> [Float] {
            let network = makeConvNet(seed: 21)
            train(network: network, train: data, trainIndices: indices, evalSet: nil, evalIndices: [],
                  config: convConfig(seed: seed), context: testContext)
            return state(network)
        }
        let first = run(seed: 7)
        XCTAssertNotEqual(first, state(makeConvNet(seed: 21)), "training changed the weights")
        XCTAssertEqual(first, run(seed: 7))
        XCTAssertNotEqual(first, run(seed: 8))
    }

    func testOneAndTwoThreadsGiveBitIdenticalWeights() {
        let data = makeDataset(count: 40, size: 8, seed: 4)
        let indices = Array(0..<40)
        var results: [[Float]] = []
        for threads in [1, 2] {
            let network = makeConvNet(seed: 31)
            let report = train(network: network, train: data, trainIndices: indices, evalSet: data, evalIndices: indices,
                               config: convConfig(seed: 9), context: ExecutionContext(threads: threads))
            XCTAssertNotNil(report.epochs.last?.evalLoss)
            results.append(state(network))
        }
        XCTAssertEqual(results[0], results[1])
    }

    func testConfigAndReportRoundTripThroughJSON() throws {
        let data = makeDataset(count: 16, size: 4, seed: 5)
        let network = Sequential(Flatten(), Linear(16, 2, seed: 1))
        let config = TrainConfig(epochs: 1, batchSize: 4, optimizer: .adam(beta1: 0.9, beta2: 0.99, eps: 1e-8),
                                 schedule: LearningRateSchedule(base: 0.01, decay: .step(stepSize: 2, gamma: 0.5)),
                                 clipValue: 1, seed: 3)
        let report = train(network: network, train: data, trainIndices: Array(0..<16), evalSet: nil, evalIndices: [],
                           config: config, context: testContext)
        let decoded = try JSONDecoder().decode(TrainReport.self, from: JSONEncoder().encode(report))
        XCTAssertEqual(decoded, report)
        XCTAssertEqual(decoded.config, config)
    }
}
