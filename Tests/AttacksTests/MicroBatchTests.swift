import Attacks
import Kernels
import Models
import XCTest
import _TestSupport

/// Micro-batches through network copies change only speed: logits, objective values and input
/// gradients are bit-identical to one whole-batch pass, for any micro-batch size and thread count.
final class MicroBatchTests: XCTestCase {
    func testMicroBatchesMatchWholeBatch() throws {
        let batch = try Fixture.batch(37)
        let objective = { (z: Tensor) in Objective.crossEntropy.evaluate(logits: z, labels: batch.labels, targets: nil) }
        for name in ["cnn-fmnist", "resnet-lite-fmnist"] {
            let model = try Model.load(path: Fixture.repository.appendingPathComponent("models/\(name).safetensors").path)
            let whole = NetworkClassifier(network: model.network, classes: model.classes, context: ExecutionContext(threads: 1))
            let reference = whole.valueAndGradient(batch.x, objective: objective)
            for (threads, microBatch) in [(1, 8), (2, 8), (2, 5), (2, 64)] {
                let parts = NetworkClassifier(network: model.network, classes: model.classes, context: ExecutionContext(threads: threads),
                                              microBatch: microBatch,
                                              replicate: model.replicaNetwork)
                let result = parts.valueAndGradient(batch.x, objective: objective)
                let setting = "\(name), \(threads) threads, micro-batch \(microBatch)"
                XCTAssertEqual(result.logits, reference.logits, setting)
                XCTAssertEqual(result.values, reference.values, setting)
                XCTAssertEqual(result.gradient, reference.gradient, setting)
                XCTAssertEqual(parts.logits(batch.x), reference.logits, setting)
                XCTAssertEqual(parts.queries, 2 * 37, setting)
            }
        }
    }

    /// After the original's weights change (a training step), `synchronizeCopies` brings every copy
    /// along: the micro-batched gradient equals the whole-batch one again.
    func testSynchronizedCopiesFollowTheWeights() throws {
        let batch = try Fixture.batch(20)
        let objective = { (z: Tensor) in Objective.crossEntropy.evaluate(logits: z, labels: batch.labels, targets: nil) }
        let model = try Model.load(path: Fixture.repository.appendingPathComponent("models/cnn-fmnist.safetensors").path)
        let parts = NetworkClassifier(network: model.network, classes: model.classes, context: testContext, microBatch: 4, replicate: model.replicaNetwork)
        _ = parts.valueAndGradient(batch.x, objective: objective)  // builds the copies
        for (_, parameter) in model.network.namedParameters() {
            for i in parameter.value.storage.indices { parameter.value.storage[i] *= 0.9 }
        }
        parts.synchronizeCopies()
        let whole = NetworkClassifier(network: model.network, classes: model.classes, context: testContext)
        let expected = whole.valueAndGradient(batch.x, objective: objective)
        let result = parts.valueAndGradient(batch.x, objective: objective)
        XCTAssertEqual(result.logits, expected.logits)
        XCTAssertEqual(result.gradient, expected.gradient)
    }
}
