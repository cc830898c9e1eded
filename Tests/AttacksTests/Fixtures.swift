import Attacks
import Datasets
import Foundation
import Models
import XCTest
import _TestSupport

/// The shipped cnn and the first Fashion-MNIST test images: attacks are tested on the real thing.
enum Fixture {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func classifier(_ name: String = "cnn-fmnist") throws -> NetworkClassifier {
        let model = try Model.load(path: repository.appendingPathComponent("models/\(name).safetensors").path)
        return NetworkClassifier(network: model.network, classes: model.classes, context: testContext)
    }

    /// The first `n` test images that the shipped cnn classifies correctly are most of them;
    /// tests take the first n as they come.
    static func batch(_ n: Int) throws -> Batch {
        let data = try Dataset.loadFashionMNIST(split: .test)
        return data.batches(indices: Array(0..<n), batchSize: n)[0]
    }
}

/// Argmax per row.
func predictions(_ logits: Tensor) -> [Int] {
    let k = logits.dim(1)
    return (0..<logits.dim(0)).map { i in (0..<k).max { logits.storage[i * k + $0] < logits.storage[i * k + $1] }! }
}
