import Foundation
import Models
import XCTest

final class ModelZooTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("robust-zoo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let model = try Model(architecture: "cnn", dataset: "fashion-mnist", inputShape: .fashionMNIST,
                              classNames: (0..<10).map(String.init), seed: 5)
        try model.save(to: directory.appendingPathComponent("cnn-fmnist.safetensors").path, toolVersion: "test")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testArchitectureNameResolvesToTheShippedCheckpoint() throws {
        let expected = directory.appendingPathComponent("cnn-fmnist.safetensors").path
        XCTAssertEqual(try ModelZoo.checkpointPath(for: "cnn", dataset: "fashion-mnist", modelsDirectory: directory.path), expected)
        XCTAssertEqual(try ModelZoo.checkpointPath(for: "cnn-fmnist", dataset: "fashion-mnist", modelsDirectory: directory.path), expected)
        XCTAssertEqual(ModelZoo.shippedCheckpoints(modelsDirectory: directory.path), ["cnn-fmnist"])
        let model = try ModelZoo.load("cnn", dataset: "fashion-mnist", modelsDirectory: directory.path)
        XCTAssertEqual(model.architecture, "cnn")
        XCTAssertEqual(model.dataset, "fashion-mnist")
    }

    func testPathsPassThrough() throws {
        XCTAssertEqual(try ModelZoo.checkpointPath(for: "elsewhere/x.safetensors", dataset: "fashion-mnist", modelsDirectory: directory.path),
                       "elsewhere/x.safetensors")
    }

    func testUnknownNameListsArchitecturesAndCheckpoints() {
        XCTAssertThrowsError(try ModelZoo.checkpointPath(for: "vgg16", dataset: "fashion-mnist", modelsDirectory: directory.path)) {
            XCTAssertTrue($0 is ModelError)
            let message = "\($0)"
            for part in ["unknown model 'vgg16'", "mlp, cnn, resnet-lite", "cnn-fmnist"] {
                XCTAssertTrue(message.contains(part), "'\(part)' not in: \(message)")
            }
        }
    }

    func testArchitectureWithoutShippedCheckpoint() {
        XCTAssertThrowsError(try ModelZoo.checkpointPath(for: "mlp", dataset: "fashion-mnist", modelsDirectory: directory.path)) {
            let message = "\($0)"
            XCTAssertTrue(message.contains("no shipped checkpoint for architecture 'mlp' on fashion-mnist"), message)
            XCTAssertTrue(message.contains("mlp-fmnist.safetensors"), message)
        }
    }
}
