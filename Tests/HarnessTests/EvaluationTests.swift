import Dispatch
import Attacks
import Datasets
import Foundation
import Harness
import Kernels
import Metrics
import Models
import Reports
import XCTest
import _TestSupport

/// `robust eval`'s contracts on the shipped cnn: reproducibility whatever the batch size and
/// threads, the curve's shape, and one clear error for each kind of bad input.
final class EvaluationTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var modelsDirectory: String { Self.repository.appendingPathComponent("models").path }

    func request(_ attacks: [AttackSpec], samples: Int = 40, batchSize: Int = 256, reuse: Bool = true) -> EvalRequest {
        EvalRequest(model: "cnn", modelsDirectory: modelsDirectory, samples: samples, attacks: attacks, batchSize: batchSize,
                    seed: 11, reuse: reuse, extraChecks: false)
    }

    let grid: [Double] = [0, 0.02, 0.05, 0.1]

    /// The records (what samples.csv holds) are identical for batch sizes 1, 7 and 256 and for 1 and 2 threads.
    func testRecordsDoNotDependOnBatchSizeOrThreads() throws {
        let specs = [AttackSpec(id: "pgd", attack: "pgd", options: AttackOptions(steps: 5, restarts: 2), epsilons: grid),
                     AttackSpec(id: "square", attack: "square", options: AttackOptions(queries: 30), epsilons: [0.05])]
        let reference = try runEvaluation(request(specs, samples: 24), context: testContext, progress: false)
        let referenceCSV = reference.samplesCSV()
        XCTAssertEqual(referenceCSV.split(separator: "\n").count, 1 + 24 * 5)
        for (batch, threads) in [(1, 2), (7, 1), (256, 1)] {
            let other = try runEvaluation(request(specs, samples: 24, batchSize: batch), context: ExecutionContext(threads: threads),
                                          progress: false)
            XCTAssertEqual(other.samplesCSV(), referenceCSV, "samples.csv differs: batch \(batch), threads \(threads)")
            for (a, b) in zip(reference.samples, other.samples) where a != b {
                XCTFail("batch \(batch), threads \(threads): \(a) != \(b)")
                break
            }
        }
    }

    /// Two evaluations with different thread counts at once in one process: each has its own context
    /// (threads, workers, workspaces), so neither sees the other's, and their records are byte-identical.
    func testConcurrentEvaluationsWithDifferentThreadCounts() throws {
        let specs = [AttackSpec(id: "pgd", attack: "pgd", options: AttackOptions(steps: 5), epsilons: grid)]
        let contexts = [ExecutionContext(threads: 1), ExecutionContext(threads: 3)]
        let outputs = UnsafeMutableBufferPointer<String?>.allocate(capacity: 2)
        outputs.initialize(repeating: nil)
        defer { outputs.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            outputs[i] = try? runEvaluation(request(specs, samples: 48, batchSize: 16), context: contexts[i], progress: false).samplesCSV()
        }
        let csv = try XCTUnwrap(outputs[0])
        XCTAssertEqual(csv.split(separator: "\n").count, 1 + 48 * grid.count)
        XCTAssertEqual(outputs[1], csv, "1 and 3 threads, run concurrently, gave different samples.csv")
    }

    func testCurveStartsAtCleanAccuracyAndNeverIncreases() throws {
        let specs = [AttackSpec(id: "fgsm", attack: "fgsm", options: AttackOptions(), epsilons: grid),
                     AttackSpec(id: "pgd", attack: "pgd", options: AttackOptions(), epsilons: grid)]
        for reuse in [true, false] {
            let results = try runEvaluation(request(specs, samples: 100, reuse: reuse), context: testContext, progress: false)
            for id in ["fgsm", "pgd", CurvePoint.worstCase] {
                let line = results.curve.filter { $0.attack == id }.sorted { $0.eps < $1.eps }
                XCTAssertEqual(line.first?.robustAcc, results.clean.accuracy, "\(id) at eps 0")
                for (a, b) in zip(line, line.dropFirst()) {
                    XCTAssertLessThanOrEqual(b.robustAcc, a.robustAcc + (reuse ? 0 : 0.02), "\(id) increased from \(a.eps) to \(b.eps)")
                }
            }
            // PGD leaves no more points robust than FGSM on the same points.
            for eps in grid {
                let robustBy = { (id: String) in Set(results.samples.filter { $0.attack == id && $0.eps == eps && $0.isRobust }.map(\.index)) }
                XCTAssertLessThanOrEqual(robustBy("pgd").count, robustBy("fgsm").count, "eps \(eps)")
            }
            XCTAssertEqual(results.checks.filter { $0.status == .fail }.map(\.id), [], "reuse \(reuse)")
        }
    }

    func testBadInputGivesOneClearError() throws {
        func code(_ body: () throws -> Void) -> (Int32, String) {
            do { try body() } catch let error as ToolError { return (error.exitCode, error.description) } catch { return (-1, "\(error)") }
            return (0, "")
        }
        let pgd = AttackSpec(id: "pgd", attack: "pgd", options: AttackOptions(), epsilons: [0.1])
        var unknown = pgd
        unknown.attack = "pgdd"
        let (c1, m1) = code { _ = try runEvaluation(request([unknown]), context: testContext, progress: false) }
        XCTAssertEqual(c1, 2)
        XCTAssertTrue(m1.contains("known attacks"), m1)
        var l2 = pgd
        l2.attack = "fgsm"
        l2.options.norm = .l2
        XCTAssertEqual(code { _ = try runEvaluation(request([l2]), context: testContext, progress: false) }.0, 2)
        var missingModel = request([pgd])
        missingModel.model = "/nonexistent/model.safetensors"
        XCTAssertEqual(code { _ = try runEvaluation(missingModel, context: testContext, progress: false) }.0, 3)
        var unknownModel = request([pgd])
        unknownModel.model = "vgg"
        let (c4, m4) = code { _ = try runEvaluation(unknownModel, context: testContext, progress: false) }
        XCTAssertEqual(c4, 2)
        XCTAssertTrue(m4.contains("cnn"), m4)
        var badTarget = pgd
        badTarget.options.target = .fixed(10)
        let (c5, m5) = code { _ = try runEvaluation(request([badTarget]), context: testContext, progress: false) }
        XCTAssertEqual(c5, 2)
        XCTAssertTrue(m5.contains("not a class"), m5)
        XCTAssertThrowsError(try Epsilon.parseGrid("-0.1"))
        XCTAssertThrowsError(try Epsilon.parseGrid("1.5"))
        XCTAssertThrowsError(try Epsilon.parseGrid("abc"))
        XCTAssertEqual(try Epsilon.parseGrid("8/255"), [(8.0 / 255 * 1e9).rounded() / 1e9])
        XCTAssertEqual(try Epsilon.parseGrid("0:0.3:0.1"), [0, 0.1, 0.2, 0.3])
    }

    /// An RGB 8x8 image folder cannot be evaluated by the grayscale 28x28 cnn: exit 3 naming both shapes.
    func testModelDatasetMismatchIsBadInput() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("robust-mismatch-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        for cls in ["a", "b"] {
            let dir = root.appendingPathComponent(cls)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try writeTinyPNG(to: dir.appendingPathComponent("x.png").path)
        }
        var req = request([AttackSpec(id: "pgd", attack: "pgd", options: AttackOptions(), epsilons: [0.1])])
        req.dataset = "imagefolder"
        req.dataDirectory = root.path
        req.samples = nil
        req.model = modelsDirectory + "/cnn-fmnist.safetensors"
        do {
            _ = try runEvaluation(req, context: testContext, progress: false)
            XCTFail("expected an error")
        } catch let error as ToolError {
            XCTAssertEqual(error.exitCode, 3, error.description)
        }
    }

    func testSuitesInTheRepositoryLoad() throws {
        for name in ["quick", "standard-linf", "standard-l2"] {
            let suite = try Suite.load(path: Self.repository.appendingPathComponent("attacks/\(name).yaml").path)
            XCTAssertFalse(suite.attacks.isEmpty, name)
        }
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("bad-suite-\(getpid()).yaml")
        try "attacks:\n  - attack: pgd\n    stepz: 3\n    eps: 0.1\n".write(to: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: bad) }
        XCTAssertThrowsError(try Suite.load(path: bad.path)) { error in
            XCTAssertTrue("\(error)".contains("stepz"), "\(error)")
        }
    }
}

/// Writes a valid 8x8 RGB PNG (all grey).
func writeTinyPNG(to path: String) throws {
    // A valid 8x8 RGB PNG (all grey), produced once with libpng and embedded as bytes.
    let base64 = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAD0lEQVR4nGNowAEYhpYEAILzYAGc7g8kAAAAAElFTkSuQmCC"
    try Data(base64Encoded: base64)!.write(to: URL(fileURLWithPath: path))
}
