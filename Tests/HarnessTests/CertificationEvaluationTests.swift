import Foundation
import Harness
import XCTest
import _TestSupport

/// `robust eval --certify`: certified lower bounds beside the attacks, in the curve, the checks, the gate
/// and merged shards, on the shipped adversarially trained cnn (which has certifiable samples at small ε).
final class CertificationEvaluationTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let grid: [Double] = [0, 0.005, 0.01, 0.02]

    func request(samples: Int = 64, batchSize: Int = 32, shard: ShardRequest? = nil, attack: String = "pgd",
                 norm: Norm? = nil, certify: [String] = ["ibp", "crown"]) -> EvalRequest {
        let spec = AttackSpec(id: attack, attack: attack, options: AttackOptions(norm: norm, steps: attack == "pgd" ? 10 : nil), epsilons: grid)
        return EvalRequest(model: "cnn-fmnist-pgd", modelsDirectory: Self.repository.appendingPathComponent("models").path,
                           samples: samples, attacks: [spec], batchSize: batchSize, seed: 3, extraChecks: false,
                           shard: shard, certify: certify)
    }

    /// Certified accuracy is a lower bound: never above the attack's accuracy, never certifying a sample
    /// the attack fooled; it shows in the curve, passes its check and can be gated on.
    func testCertifiedSeriesIsALowerBoundAndGateable() throws {
        let results = try runEvaluation(request(), context: testContext, progress: false)
        let certification = try XCTUnwrap(results.certification)
        XCTAssertEqual(certification.methods, ["ibp", "crown"])
        XCTAssertEqual(certification.records.count, 64 * grid.count)
        let certified = results.curve.filter { $0.attack == CurvePoint.certified }.sorted { $0.eps < $1.eps }
        let attacked = results.curve.filter { $0.attack == "pgd" }.sorted { $0.eps < $1.eps }
        XCTAssertEqual(certified.map(\.eps), grid)
        for (c, a) in zip(certified, attacked) {
            XCTAssertLessThanOrEqual(c.robustAcc, a.robustAcc, "certified above the attack at ε=\(c.eps)")
        }
        XCTAssertGreaterThan(certified[1].robustAcc, 0.5, "the PGD-trained cnn certifies most samples at ε=0.005")
        XCTAssertLessThan(certified[3].robustAcc, certified[1].robustAcc)
        XCTAssertTrue(certification.contradictions(with: results.samples).isEmpty)
        XCTAssertEqual(results.checks.first { $0.id == "certified-sound" }?.status, .pass)
        // A sample certified at ε cannot be fooled at ε: forging one is caught.
        var forged = results.samples
        let victim = try XCTUnwrap(certification.records.first { $0.certified && $0.eps == 0.01 })
        let row = try XCTUnwrap(forged.firstIndex { $0.index == victim.index && $0.eps == 0.01 })
        forged[row].advPred = (forged[row].label + 1) % 10
        XCTAssertEqual(certification.contradictions(with: forged).map(\.index), [victim.index])

        let pass = try GateRequirement.parse("certified@0.005>=0.5").evaluate(on: results)
        XCTAssertTrue(pass.passed, pass.message)
        let fail = try GateRequirement.parse("certified@0.02>=0.99").evaluate(on: results)
        XCTAssertFalse(fail.passed)
    }

    /// Certificates do not depend on the batch size, and merged shards give the one-process records.
    func testBatchSizeAndShardsDoNotChangeCertificates() throws {
        let whole = try runEvaluation(request(samples: 48, batchSize: 48), context: testContext, progress: false)
        let small = try runEvaluation(request(samples: 48, batchSize: 5), context: ExecutionContext(threads: 1), progress: false)
        XCTAssertTrue(small.certification?.records == whole.certification?.records, "batch size 5 changed a certificate")
        let shards = try (0..<2).map { i in
            try runEvaluation(request(samples: 48, batchSize: 16, shard: try ShardRequest(index: i, count: 2, source: "--shard")),
                              context: testContext, progress: false)
        }
        let merged = try mergeShards(shards.enumerated().map { (path: "shard\($0.offset)", results: $0.element) })
        XCTAssertTrue(merged.certification?.records == whole.certification?.records, "merged shards differ from one process")
        XCTAssertEqual(merged.curve.filter { $0.attack == CurvePoint.certified }.map(\.robustAcc),
                       whole.curve.filter { $0.attack == CurvePoint.certified }.map(\.robustAcc))
        XCTAssertEqual(merged.checks.first { $0.id == "certified-sound" }?.status, .pass)
    }

    func testBadCertifyRequestsAreUsageErrors() {
        XCTAssertThrowsError(try parseBoundMethods("ibp,lp")) { XCTAssertEqual(($0 as? ToolError)?.exitCode, 2) }
        XCTAssertEqual(try parseBoundMethods("crown, IBP,crown"), ["crown", "ibp"])
        XCTAssertThrowsError(try runEvaluation(request(samples: 4, attack: "fgm", norm: .l2), context: testContext, progress: false)) { error in
            XCTAssertEqual((error as? ToolError)?.exitCode, 2)
            XCTAssertTrue("\(error)".contains("L∞"), "\(error)")
        }
    }
}

/// `robust certify` (certification alone) and `robust train --adv ibp`'s usage errors, through the binary.
final class CertifyCommandTests: XCTestCase {
    func testCertifyWritesAGateableRunWithoutAttacks() throws {
        let binary = try builtRobustBinary()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("certify-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let models = CertificationEvaluationTests.repository.appendingPathComponent("models").path
        let run = try runCommand(binary, ["certify", "--model", "cnn-fmnist-pgd", "--models-dir", models, "--eps", "0,0.005,0.02",
                                          "--method", "ibp,crown", "--samples", "40", "--out", out])
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("certified"), run.stdout)
        let results = try RunResults.load(path: (out as NSString).appendingPathComponent("results.json"))
        XCTAssertTrue(results.attacks.isEmpty)
        let certified = results.curve.filter { $0.attack == CurvePoint.certified }.sorted { $0.eps < $1.eps }
        XCTAssertEqual(certified.map(\.eps), [0, 0.005, 0.02])
        XCTAssertLessThanOrEqual(certified[0].robustAcc, results.clean.accuracy)
        XCTAssertGreaterThan(certified[1].robustAcc, 0.5)
        XCTAssertEqual(results.checks.map(\.id), ["certified-correct"])
        XCTAssertEqual(results.checks.first?.status, .pass)
        let gate = try runCommand(binary, ["gate", out, "--require", "certified@0.005>=0.5"])
        XCTAssertEqual(gate.code, 0, gate.stdout + gate.stderr)

        let unknown = try runCommand(binary, ["certify", "--method", "lp", "--out", out])
        XCTAssertEqual(unknown.code, 2, unknown.stderr)
        XCTAssertTrue(unknown.stderr.hasPrefix("robust: --method: method 'lp' is unknown; use ibp, crown"), unknown.stderr)
        let badEps = try runCommand(binary, ["certify", "--eps", "0.1:0", "--out", out])
        XCTAssertEqual(badEps.code, 2, badEps.stderr)
    }

    func testIntervalTrainingUsageErrors() throws {
        let binary = try builtRobustBinary()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ibp-\(UUID().uuidString)").path
        let resnet = try runCommand(binary, ["train", "--model", "resnet-lite", "--adv", "ibp", "--eps", "0.1", "--samples", "8",
                                             "--epochs", "1", "--out", out])
        XCTAssertEqual(resnet.code, 2, resnet.stderr)
        XCTAssertTrue(resnet.stderr.contains("BatchNorm2d") && resnet.stderr.contains("--model cnn or mlp"), resnet.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".safetensors"))
        let steps = try runCommand(binary, ["train", "--model", "cnn", "--adv", "ibp", "--eps", "0.1", "--adv-steps", "3", "--out", out])
        XCTAssertEqual(steps.code, 2, steps.stderr)
        XCTAssertTrue(steps.stderr.contains("drop --adv-steps"), steps.stderr)
    }
}

extension CertificationEvaluationTests {
    /// A sample not certified at one ε is not bounded again at larger ones: the certificates equal those of
    /// certifying each ε on its own (the pruning only skips work), and skipped samples carry no bound.
    func testPruningAcrossEpsilonsChangesNoCertificate() throws {
        let whole = try XCTUnwrap(try runEvaluation(request(samples: 48, certify: ["ibp"]), context: testContext, progress: false).certification)
        for eps in grid {
            var single = request(samples: 48, certify: ["ibp"])
            single.certificationGrid = [eps]
            let alone = try XCTUnwrap(try runEvaluation(single, context: testContext, progress: false).certification)
            XCTAssertEqual(alone.records.map(\.certified), whole.records.filter { $0.eps == eps }.map(\.certified), "ε=\(eps)")
        }
        let skipped = whole.records.filter { $0.margin == -1e30 }
        XCTAssertFalse(skipped.isEmpty, "some samples are skipped at the larger ε")
        XCTAssertTrue(skipped.allSatisfy { !$0.certified })
    }
}

extension CertificationEvaluationTests {
    /// The shipped certifiably trained cnn (`make certified-models`): on the first 1,000 test images IBP certifies
    /// most of them at ε = 0.1 (75.5 % when written; 74.02 % on all 10,000, its card), and the certified ones
    /// are classified correctly.
    func testShippedIBPModelIsCertifiablyRobust() throws {
        var ibp = request(samples: 1000, batchSize: 250, certify: ["ibp"])
        ibp.model = "cnn-fmnist-ibp"
        ibp.attacks = []
        ibp.certificationGrid = [0.1]
        let results = try runEvaluation(ibp, context: testContext, progress: false)
        let certified = try XCTUnwrap(results.curve.first { $0.attack == CurvePoint.certified })
        XCTAssertGreaterThan(certified.robustAcc, 0.70)
        XCTAssertGreaterThan(results.clean.accuracy, 0.80)
        XCTAssertEqual(results.checks.first { $0.id == "certified-correct" }?.status, .pass)
    }
}
