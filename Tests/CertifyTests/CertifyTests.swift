import Certify
import Kernels
import NN
import XCTest
import _TestSupport

/// The certification decision: epsilon 0, refused layers, and independence from batch size and threads.
final class CertifyTests: XCTestCase {
    let networks: [(Sequential, [Int])] = [
        (TestNetworks.mlp(12, [16, 16], 6, seed: 41), [12]),
        (TestNetworks.convNet(seed: 42), [2, 10, 10]),
        (TestNetworks.residualNet(seed: 43), [1, 8, 8]),
        (TestNetworks.allConvNet(seed: 44), [1, 6, 6]),
    ]

    /// At epsilon 0 the ball is the image itself: exactly the correctly classified samples are certified, and
    /// both methods' margins are the network's own margin less their rounding allowances (every relaxation is
    /// exact when nothing varies, so a wrong transpose or offset in CROWN would show here as an error of the
    /// margin's own size). Labels are random, so about half of the samples are wrong.
    func testZeroEpsilonCertifiesExactlyTheCorrectlyClassified() throws {
        for (index, (network, shape)) in networks.enumerated() {
            let x = TestNetworks.images([30] + shape, seed: 50 + UInt64(index))
            let logits = network.forward(x)
            let classes = logits.dim(1), predictions = TestNetworks.predictions(logits)
            var rng = SplitMix64(seed: 60 + UInt64(index))
            let labels = predictions.map { rng.nextInt(2) == 0 ? $0 : rng.nextInt(classes) }
            let margins = labels.enumerated().map { s, y in
                (0..<classes).filter { $0 != y }.map { Double(logits.storage[s * classes + y] - logits.storage[s * classes + $0]) }.min()!
            }
            XCTAssertGreaterThan(margins.map(abs).min()!, 1e-3, "test data: a margin too close to 0 to decide")
            let correct = zip(predictions, labels).map { $0 == $1 }
            XCTAssert(correct.contains(true) && correct.contains(false))
            for methods in [[BoundMethod.ibp], [.crown], [.ibp, .crown]] {
                let result = try certify(network: network, x: x, labels: labels, eps: 0, methods: methods, context: testContext)
                XCTAssertEqual(result.certified, correct, "network \(index), \(methods)")
                for (mine, exact) in zip(result.margins, margins) {
                    XCTAssertLessThanOrEqual(Double(mine), exact, "network \(index), \(methods)")
                    XCTAssertGreaterThanOrEqual(Double(mine), exact - 1e-3 * (1 + abs(exact)), "network \(index), \(methods)")
                }
            }
        }
    }

    func testUnsupportedLayersAreNamedInOneLine() {
        let block = GraphBlock(steps: [GraphBlock.Step(LayerOperation(ReLU()), inputs: [0])], output: 1)
        let network = Sequential(Linear(4, 4, seed: 1), Sigmoid(), Sequential(block, Tanh(), Sigmoid()), Linear(4, 2, seed: 2))
        XCTAssertThrowsError(try BoundedNetwork(network)) { error in
            XCTAssertEqual(error as? UnsupportedLayerError, UnsupportedLayerError(layers: ["Sigmoid", "GraphBlock", "Tanh"]))
            let line = String(describing: error)
            XCTAssert(line.hasPrefix("cannot bound Sigmoid, GraphBlock, Tanh: "), line)
            XCTAssertFalse(line.contains("\n"))
        }
        let training = Sequential(BatchNorm2d(2), Flatten(), Linear(8, 2, seed: 3))
        training.isTraining = true
        XCTAssertThrowsError(try certify(network: training, x: Tensor(shape: [1, 2, 2, 2]), labels: [0], eps: 0, methods: [.ibp],
                                         context: testContext)) {
            XCTAssertEqual(($0 as? UnsupportedLayerError)?.layers, ["BatchNorm2d (training mode)"])
        }
    }

    /// Batches of 1, 7 and 20 (20 crosses the internal chunk of 16 samples) on 1 and 2 threads: the same bits.
    func testResultsDoNotDependOnBatchSizeOrThreads() throws {
        let serial = ExecutionContext(threads: 1), parallel = ExecutionContext(threads: 2)
        for (index, (network, shape)) in networks.enumerated() {
            let bounded = try BoundedNetwork(network)
            let x = TestNetworks.images([20] + shape, seed: 70 + UInt64(index))
            let labels = TestNetworks.predictions(network.forward(x))
            for method in BoundMethod.allCases {
                let whole = bounded.marginBounds(x: x, labels: labels, eps: 0.03, method: method, context: parallel)
                for (batch, context) in [(1, serial), (7, parallel), (7, serial), (20, serial)] {
                    var pieces: [Float] = []
                    for start in stride(from: 0, to: 20, by: batch) {
                        let rows = Array(start..<min(20, start + batch))
                        pieces += bounded.marginBounds(x: x.gathering(rows), labels: rows.map { labels[$0] }, eps: 0.03,
                                                       method: method, context: context).storage
                    }
                    XCTAssertEqual(pieces, whole.storage, "network \(index), \(method), batch \(batch), \(context.threads) threads")
                }
            }
            let once = bounded.certify(x: x, labels: labels, eps: 0.03, methods: [.ibp, .crown], context: parallel)
            let single = (0..<20).map {
                bounded.certify(x: x.gathering([$0]), labels: [labels[$0]], eps: 0.03, methods: [.ibp, .crown], context: serial)
            }
            XCTAssertEqual(single.flatMap(\.margins), once.margins)
            XCTAssertEqual(single.flatMap(\.certified), once.certified)
        }
    }
}
