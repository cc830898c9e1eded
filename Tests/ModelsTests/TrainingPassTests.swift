import Kernels
import Models
import NN
import XCTest
import _TestSupport

/// `TrainingPass`: the micro-batched trunk gives the whole batch's logits and parameter gradients bit
/// for bit, for any thread count and a batch that is not a multiple of 8; networks it cannot split
/// exactly (BatchNorm) run whole.
final class TrainingPassTests: XCTestCase {
    func gradients(_ model: Model, _ x: Tensor, _ labels: [Int], threads: Int, microBatched: Bool) -> (Tensor, [[Float]]) {
        let network = model.replicaNetwork()
        network.isTraining = true
        let pass = TrainingPass(network: network, context: ExecutionContext(threads: threads),
                                replicate: microBatched ? model.replicaNetwork : nil)
        XCTAssertEqual(pass.isMicroBatched, microBatched)
        // Two passes accumulate, as a mixed clean and adversarial step does.
        var logits = Tensor(shape: [0])
        for weight: Float in [0.25, 1] {
            logits = pass.run(x) { z in
                var (loss, d) = crossEntropy(logits: z, labels: labels)
                for i in d.storage.indices { d.storage[i] *= weight }
                return (loss, d)
            }.logits
        }
        XCTAssertTrue(network.isTraining, "the caller's mode stands")
        return (logits, network.namedParameters().map(\.parameter.grad.storage))
    }

    func testMicroBatchedTrunkIsBitIdenticalToTheWholeBatch() throws {
        let model = try Model(architecture: "cnn", dataset: "fashion-mnist", inputShape: .fashionMNIST,
                              classNames: (0..<10).map(String.init), seed: 2)
        let x = Tensor(shape: [37, 1, 28, 28], storage: randomArray(37 * 784, seed: 5).map { abs($0) })
        let labels = (0..<37).map { $0 % 10 }
        let (zWhole, gWhole) = gradients(model, x, labels, threads: 2, microBatched: false)
        for threads in [1, 2, 3] {
            let (z, g) = gradients(model, x, labels, threads: threads, microBatched: true)
            XCTAssertEqual(z.storage, zWhole.storage, "logits, \(threads) threads")
            XCTAssertEqual(g, gWhole, "parameter gradients, \(threads) threads")
        }
    }

    func testBatchNormNetworksRunWhole() throws {
        let model = try Model(architecture: "resnet-lite", dataset: "fashion-mnist", inputShape: .fashionMNIST,
                              classNames: (0..<10).map(String.init), seed: 2)
        let pass = TrainingPass(network: model.replicaNetwork(), context: testContext, replicate: model.replicaNetwork)
        XCTAssertFalse(pass.isMicroBatched)
    }
}
