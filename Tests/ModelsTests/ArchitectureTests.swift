import Models
import NN
import XCTest
import _TestSupport

final class ArchitectureTests: XCTestCase {
    let cifarShape = InputShape(channels: 3, height: 32, width: 32)
    let tenClasses = (0..<10).map { "class\($0)" }

    /// Trainable parameters, as PyTorch's `sum(p.numel() for p in m.parameters())`, worked out by hand:
    /// - mlp: (CHW+1)·256 + 257·128 + 129·10; CHW = 784: 200960 + 32896 + 1290; CHW = 3072: 786688 + 32896 + 1290.
    /// - cnn: (9C+1)·32 + 289·64 + (64·(H/4)·(W/4)+1)·128 + 1290; 1x28x28: 320 + 18496 + 401536 + 1290;
    ///   3x32x32: 896 + 18496 + 524416 + 1290.
    /// - resnet-lite: stem 9C·16 + 32 (bn1); layer1 2·(2·2304 + 64) = 9344; layer2 (4608 + 9216 + 512 + 3·64)
    ///   + (2·9216 + 128) = 14528 + 18560; layer3 (18432 + 36864 + 2048 + 3·128) + (2·36864 + 256) = 57728 + 73984;
    ///   fc 650. C = 1: 144 + 32 + 9344 + 33088 + 131712 + 650; C = 3: 288 more.
    let expectedParameters: [String: (fmnist: Int, cifar: Int)] = [
        "mlp": (235_146, 820_874),
        "cnn": (421_642, 545_098),
        "resnet-lite": (174_970, 175_258),
    ]

    func testRegistryListsTheThreeArchitectures() {
        XCTAssertEqual(Architecture.names, ["mlp", "cnn", "resnet-lite"])
        XCTAssertNil(Architecture.named("vgg"))
    }

    func testOutputShapesAndParameterCounts() throws {
        for name in Architecture.names {
            let fmnist = try Model(architecture: name, dataset: "fashion-mnist", inputShape: .fashionMNIST, classNames: tenClasses, seed: 1)
            XCTAssertEqual(fmnist.logits(randomTensor([3, 1, 28, 28], seed: 2)).shape, [3, 10], name)
            XCTAssertEqual(fmnist.parameterCount, expectedParameters[name]?.fmnist, name)

            let cifar = try Model(architecture: name, dataset: "cifar10", inputShape: cifarShape, classNames: tenClasses, seed: 1)
            XCTAssertEqual(cifar.logits(randomTensor([2, 3, 32, 32], seed: 3)).shape, [2, 10], name)
            XCTAssertEqual(cifar.parameterCount, expectedParameters[name]?.cifar, name)
        }
    }

    func testEveryNetworkStartsWithItsDatasetNormalization() throws {
        for name in Architecture.names {
            let model = try Model(architecture: name, dataset: "fashion-mnist", inputShape: .fashionMNIST, classNames: tenClasses, seed: 1)
            let first = try XCTUnwrap(model.network.children.first?.layer as? Normalize, name)
            XCTAssertEqual(first.mean, [0.2860], name)
            XCTAssertEqual(first.std, [0.3530], name)
            let cifar = try Model(architecture: name, dataset: "cifar10", inputShape: cifarShape, classNames: tenClasses, seed: 1)
            XCTAssertEqual((cifar.network.children.first?.layer as? Normalize)?.mean, [0.5, 0.5, 0.5], name)
        }
    }

    func testSameSeedSameWeightsOtherSeedOtherWeights() throws {
        func weights(_ seed: UInt64) throws -> [[Float]] {
            try Model(architecture: "resnet-lite", dataset: "fashion-mnist", inputShape: .fashionMNIST, classNames: tenClasses, seed: seed)
                .network.namedParameters().map(\.parameter.value.storage)
        }
        XCTAssertEqual(try weights(7), try weights(7))
        XCTAssertNotEqual(try weights(7), try weights(8))
    }

    func testResNetLiteStateDictNamesFollowTorchvision() throws {
        let model = try Model(architecture: "resnet-lite", dataset: "fashion-mnist", inputShape: .fashionMNIST, classNames: tenClasses, seed: 1)
        func bn(_ prefix: String) -> [String] {
            ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"].map { "\(prefix).\($0)" }
        }
        func block(_ prefix: String, downsample: Bool) -> [String] {
            ["\(prefix).conv1.weight"] + bn("\(prefix).bn1") + ["\(prefix).conv2.weight"] + bn("\(prefix).bn2")
                + (downsample ? ["\(prefix).downsample.0.weight"] + bn("\(prefix).downsample.1") : [])
        }
        let expected = ["conv1.weight"] + bn("bn1")
            + block("layer1.0", downsample: false) + block("layer1.1", downsample: false)
            + block("layer2.0", downsample: true) + block("layer2.1", downsample: false)
            + block("layer3.0", downsample: true) + block("layer3.1", downsample: false)
            + ["fc.weight", "fc.bias"]
        XCTAssertEqual(model.network.namedState().map(\.name), expected)
        XCTAssertEqual(model.network.namedState().first { $0.name == "layer2.0.downsample.0.weight" }?.parameter.value.shape, [32, 16, 1, 1])
    }

    func testMLPAndCNNStateDictNames() throws {
        let mlp = try Model(architecture: "mlp", dataset: "fashion-mnist", inputShape: .fashionMNIST, classNames: tenClasses, seed: 1)
        XCTAssertEqual(mlp.network.namedState().map(\.name), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"])
        let cnn = try Model(architecture: "cnn", dataset: "fashion-mnist", inputShape: .fashionMNIST, classNames: tenClasses, seed: 1)
        XCTAssertEqual(cnn.network.namedState().map { "\($0.name)\($0.parameter.value.shape)" },
                       ["conv1.weight[32, 1, 3, 3]", "conv1.bias[32]", "conv2.weight[64, 32, 3, 3]", "conv2.bias[64]",
                        "fc1.weight[128, 3136]", "fc1.bias[128]", "fc2.weight[10, 128]", "fc2.bias[10]"])
    }

    func testBadConfigurationsAreErrorsNotCrashes() {
        XCTAssertThrowsError(try Model(architecture: "vgg", dataset: "fashion-mnist", inputShape: .fashionMNIST, classNames: tenClasses, seed: 1)) {
            XCTAssertTrue("\($0)".contains("unknown architecture 'vgg'") && "\($0)".contains("mlp, cnn, resnet-lite"), "\($0)")
        }
        XCTAssertThrowsError(try Model(architecture: "cnn", dataset: "x", inputShape: InputShape(channels: 1, height: 2, width: 2), classNames: tenClasses, seed: 1)) {
            XCTAssertTrue("\($0)".contains("1x2x2"), "\($0)")
        }
        XCTAssertThrowsError(try Model(architecture: "mlp", dataset: "x", inputShape: .fashionMNIST, classNames: tenClasses,
                                       preprocessing: Preprocessing(mean: [0.5, 0.5], std: [0.5, 0.5]), seed: 1)) {
            XCTAssertTrue("\($0)".contains("2 means and 2 stds for 1 input channels"), "\($0)")
        }
    }

    func testLogitsRestoreTrainingMode() throws {
        let model = try Model(architecture: "resnet-lite", dataset: "fashion-mnist", inputShape: .fashionMNIST, classNames: tenClasses, seed: 1)
        model.network.isTraining = true
        let before = model.network.namedBuffers().map(\.parameter.value)
        _ = model.logits(randomTensor([2, 1, 28, 28], seed: 4))
        XCTAssertTrue(model.network.isTraining)
        XCTAssertEqual(model.network.namedBuffers().map(\.parameter.value), before, "inference must not update running statistics")
    }
}
