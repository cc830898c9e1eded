import Attacks
import Datasets
import Foundation
import Models
import XCTest
import _TestSupport

/// Models exported by PyTorch 2.13 (scripts/make_onnx_fixtures.py), imported by robust and checked
/// against the figures PyTorch and onnxruntime gave for them (Tests/Fixtures/onnx/golden.json).
final class ONNXFixtureTests: XCTestCase {
    static let names = ["lenet", "mlp_norm", "resnet", "preact_resnet"]

    /// Logits on the LCG probe inputs equal onnxruntime's within 1e-4 (float32 sums in another order,
    /// and BatchNorm folded into the convolutions, differ by a few ulps of the logits; 1e-4 is ~100x that).
    func testLogitsMatchOnnxruntime() throws {
        for name in Self.names {
            let (model, golden) = try ONNXFixture.load(name)
            let x = ONNXFixture.probe(golden)
            let logits = model.makeClassifier(context: testContext).logits(x)
            let expected = Tensor(shape: logits.shape, storage: golden.probe.logits.flatMap { $0 })
            assertClose(logits, expected, rtol: 1e-5, atol: 1e-4, "\(name) logits")
        }
    }

    /// A graph ending in Softmax is attacked through its logits: the stripped model's softmax equals
    /// onnxruntime's output, and its logits equal the model without the Softmax node.
    func testSoftmaxIsStrippedAndNoted() throws {
        let (model, golden) = try ONNXFixture.load("mlp_norm_softmax")
        let (plain, _) = try ONNXFixture.load("mlp_norm")
        XCTAssertEqual(model.onnx?.finalActivation, "Softmax")
        XCTAssertTrue(model.notes.contains { $0.contains("strips it") }, "\(model.notes)")
        let x = ONNXFixture.probe(golden)
        let logits = model.makeClassifier(context: testContext).logits(x)
        XCTAssertEqual(logits, plain.makeClassifier(context: testContext).logits(x))
        let k = logits.dim(1)
        let probabilities = (0..<logits.dim(0)).flatMap { i -> [Float] in
            let row = logits.storage[i * k..<(i + 1) * k].map(Double.init)
            let m = row.max()!, sum = row.map { exp($0 - m) }.reduce(0, +)
            return row.map { Float(exp($0 - m) / sum) }
        }
        assertClose(probabilities, golden.probe.logits.flatMap { $0 }, rtol: 1e-4, atol: 1e-6, "softmax output")
    }

    /// The input gradient of a weighted sum of logits (the same path every attack's objective takes)
    /// against central differences, on two probe images per model.
    func testInputGradientsPassCentralDifferences() throws {
        for name in Self.names {
            let (model, golden) = try ONNXFixture.load(name)
            let classifier = model.makeClassifier(context: testContext)
            // Probe pixels are multiples of 1/255: they tie in max-pools and sit on ReLU kinks far more
            // often than real data. A small seeded offset moves them off the grid.
            let probe = ONNXFixture.probe(golden).gathering([0, 1])
            let offset = randomTensor(probe.shape, seed: 7)
            let x = Tensor(shape: probe.shape, storage: zip(probe.storage, offset.storage).map { $0 + 0.01 * $1 })
            let r = randomTensor([2, model.classes], seed: 5)
            let (_, _, gradient) = classifier.valueAndGradient(x) { z in ObjectiveValue(values: [0, 0], dLogits: r) }
            // Probe 60 evenly spread pixels (every pixel of a 3x32x32 model would take seconds).
            let picks = stride(from: 0, to: x.count, by: x.count / 60).map { $0 }
            // h = 1e-3: a deep ReLU network on random pixels has kinks within 1e-2 of many pixels. A
            // kink closer than h/2 fools the usual h-versus-h/2 probe (both central differences average
            // the two slopes), so a mismatch is probed with a one-sided difference instead: it disagrees
            // with the central one exactly when a kink lies within h, and the element is skipped.
            let loss = { (t: Tensor) in weightedSum(classifier.logits(t), r) }
            let numeric = picks.map { i in numericDerivative(at: x, index: i, h: 1e-3, loss) }
            let base = loss(x)
            // Tolerances: a float32 forward through ten layers is good to about 1e-6 of the loss, which a
            // difference over h = 1e-3 turns into ~3e-3; each layer's backward is checked exactly in
            // NNTests, and a wrong composition errs by the order of the gradient (~0.1) here.
            assertGradientClose(picks.map { gradient.storage[$0] }, numeric, "\(name) input gradient", rtol: 0.05, atol: 6e-3,
                                halfStep: { j in
                var xp = x
                xp.storage[picks[j]] += 1e-3
                return (loss(xp) - base) / Double(Float(1e-3))
            }, maxSkippedFraction: 0.25)
        }
    }

    /// robust's FGSM gives the adversarial predictions of an exact FGSM (gradient in float64 by
    /// PyTorch) on at least 99.5 % of the correctly classified images. The float32 gradient's sign
    /// differs from float64's only on tiny components, which rarely change a prediction.
    func testFGSMMatchesFloat64PyTorch() throws {
        for name in Self.names {
            let (model, golden) = try ONNXFixture.load(name)
            let batch = try ONNXFixture.images(golden)
            let classifier = model.makeClassifier(context: testContext)
            let fgsm = try AttackRegistry.make("fgsm", options: AttackOptions())
            for entry in golden.fgsm.perEps {
                let context = AttackContext(eps: Float(entry.eps), seed: 0, indices: batch.indices)
                let adv = fgsm.perturb(classifier, x: batch.x, labels: batch.labels, targets: nil, context: context)
                let predicted = ONNXFixture.argmax(classifier.logits(adv))
                let correct = batch.labels.indices.filter { golden.fgsm.cleanPred[$0] == batch.labels[$0] }
                let agree = correct.filter { predicted[$0] == entry.advPredFloat64[$0] }.count
                let rate = Double(agree) / Double(correct.count)
                XCTAssertGreaterThanOrEqual(rate, 0.995, "\(name) FGSM eps \(entry.eps): \(agree) of \(correct.count) agree with float64 PyTorch")
            }
        }
    }

    /// PGD-10 (random start, step eps/4) robust accuracy within 1 percentage point of torchattacks'
    /// PGD on the same 1000 images. The random starts differ, so equal accuracies are not expected;
    /// 1 pp is about the spread of two PGD runs with different seeds.
    func testPGDMatchesTorchattacks() throws {
        for name in Self.names {
            let (model, golden) = try ONNXFixture.load(name)
            let batch = try ONNXFixture.images(golden)
            let classifier = model.makeClassifier(context: testContext)
            let pgd = try AttackRegistry.make("pgd", options: AttackOptions(steps: golden.pgd.steps, stepSize: golden.pgd.alpha))
            var correct = 0
            for start in stride(from: 0, to: batch.labels.count, by: 250) {
                let rows = Array(start..<min(start + 250, batch.labels.count))
                let x = batch.x.gathering(rows), labels = rows.map { batch.labels[$0] }
                let context = AttackContext(eps: Float(golden.pgd.eps), seed: 1, indices: rows)
                let adv = pgd.perturb(classifier, x: x, labels: labels, targets: nil, context: context)
                correct += zip(ONNXFixture.argmax(classifier.logits(adv)), labels).filter { $0 == $1 }.count
            }
            let accuracy = Double(correct) / Double(batch.labels.count)
            XCTAssertEqual(accuracy, golden.pgd.robustAccuracy, accuracy: 0.01, "\(name) PGD-10 robust accuracy against torchattacks")
        }
    }
}

/// The fixtures and golden figures, and the inputs they were computed on.
enum ONNXFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/onnx")

    struct Golden: Decodable {
        struct Probe: Decodable { let seed: UInt64; let count: Int; let logits: [[Float]] }
        struct PerEps: Decodable {
            let eps: Double
            let advPredFloat64: [Int]
            enum CodingKeys: String, CodingKey { case eps, advPredFloat64 = "adv_pred_float64" }
        }
        struct FGSM: Decodable {
            let count: Int
            let cleanPred: [Int]
            let perEps: [PerEps]
            enum CodingKeys: String, CodingKey { case count, cleanPred = "clean_pred", perEps = "per_eps" }
        }
        struct PGD: Decodable {
            let eps: Double, alpha: Double, steps: Int, count: Int, robustAccuracy: Double
            enum CodingKeys: String, CodingKey { case eps, alpha, steps, count, robustAccuracy = "robust_accuracy" }
        }
        let file: String
        let inputShape: [Int]
        let dataset: String
        let probe: Probe
        let fgsm: FGSM!
        let pgd: PGD!
        enum CodingKeys: String, CodingKey { case file, inputShape = "input_shape", dataset, probe, fgsm, pgd }
    }

    static func load(_ name: String) throws -> (LoadedModel, Golden) {
        let data = try Data(contentsOf: directory.appendingPathComponent("golden.json"))
        let all = try JSONDecoder().decode([String: Golden].self, from: data)
        let golden = try XCTUnwrap(all[name], "no golden figures for \(name)")
        let model = try LoadedModel.load(directory.appendingPathComponent(golden.file).path, dataset: golden.dataset, modelsDirectory: "")
        return (model, golden)
    }

    /// The probe inputs: an LCG's top bytes / 255, row-major (the script's exact recipe).
    static func probe(_ golden: Golden) -> Tensor {
        var state = golden.probe.seed
        let shape = [golden.probe.count] + golden.inputShape
        let values = (0..<shape.reduce(1, *)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 56) / 255
        }
        return Tensor(shape: shape, storage: values)
    }

    /// The first `fgsm.count` test images of the golden's dataset (Fashion-MNIST, or its coloured 3x32x32 version).
    static func images(_ golden: Golden) throws -> Batch {
        let data = try Dataset.loadFashionMNIST(split: .test)
        let n = golden.fgsm.count
        let dataset = golden.dataset == "coloured-fashion-mnist" ? colouredFashionMNIST(data, count: n) : data
        return dataset.batches(indices: Array(0..<n), batchSize: n)[0]
    }

    /// Fashion-MNIST padded to 32x32 and coloured: image i blends foreground P[i % 7] and background
    /// Q[(i / 7) % 5] by its grey value, in integers (scripts/make_onnx_fixtures.py's definition).
    static func colouredFashionMNIST(_ grey: Dataset, count: Int) -> Dataset {
        let p = [[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240]]
        let q = [[0, 0, 0], [40, 40, 40], [90, 60, 30], [20, 40, 90], [60, 20, 60]]
        var pixels = [UInt8](repeating: 0, count: count * 3 * 32 * 32)
        for i in 0..<count {
            let fg = p[i % 7], bg = q[(i / 7) % 5]
            for c in 0..<3 {
                for y in 0..<32 {
                    for x in 0..<32 {
                        let inside = (2..<30).contains(y) && (2..<30).contains(x)
                        let g = inside ? Int(grey.pixels[i * 784 + (y - 2) * 28 + (x - 2)]) : 0
                        pixels[((i * 3 + c) * 32 + y) * 32 + x] = UInt8((g * fg[c] + (255 - g) * bg[c]) / 255)
                    }
                }
            }
        }
        return Dataset(name: "coloured-fashion-mnist", classNames: grey.classNames, channels: 3, height: 32, width: 32,
                       pixels: pixels, labels: Array(grey.labels.prefix(count)))
    }

    static func argmax(_ logits: Tensor) -> [Int] {
        let k = logits.dim(1)
        return (0..<logits.dim(0)).map { i in (0..<k).max { logits.storage[i * k + $0] < logits.storage[i * k + $1] }! }
    }
}
