import Foundation
import Harness
import Privacy
import XCTest
import _TestSupport

/// `robust privacy` end to end: index sets, both attacks on a deliberately overfit model, the folder it writes,
/// the DP audit against forged claims, the gate's `mia-*` requirements and the binary's usage errors.
final class PrivacyCommandTests: XCTestCase {
    // MARK: - Index sets and attack names

    func testSplitParsing() throws {
        let split = try AuditSplit.parse("train:0:2000", flag: "--members")
        XCTAssertEqual(split, AuditSplit(split: .train, start: 0, end: 2000))
        XCTAssertEqual(split.count, 2000)
        XCTAssertEqual(split.spec, "train:0:2000")
        XCTAssertEqual(try AuditSplit.parse(" TEST : 5 : 7 ", flag: "--members").spec, "test:5:7")
        XCTAssertTrue(AuditSplit(split: .train, start: 0, end: 10).overlaps(AuditSplit(split: .train, start: 9, end: 20)))
        XCTAssertFalse(AuditSplit(split: .train, start: 0, end: 10).overlaps(AuditSplit(split: .train, start: 10, end: 20)), "half-open")
        XCTAssertFalse(AuditSplit(split: .train, start: 0, end: 10).overlaps(AuditSplit(split: .test, start: 0, end: 10)))

        let bad = ["train:5:2", "train:3:3", "foo", "valid:0:10", "train:-1:5", "train:a:b", "train:0:5:6", "", "train::5", "train:0:1e400"]
        for text in bad {
            XCTAssertThrowsError(try AuditSplit.parse(text, flag: "--members"), text) { error in
                guard case ToolError.usage(let message) = error else { return XCTFail("\(text): \(error) is not a usage error") }
                XCTAssertTrue(message.hasPrefix("--members '\(text)'"), message)
                XCTAssertTrue(message.contains("SPLIT:START:END"), message)
            }
        }
    }

    func testAttackListParsing() throws {
        XCTAssertEqual(try MembershipAttackKind.parseList("loss"), [.loss])
        XCTAssertEqual(try MembershipAttackKind.parseList("lira, loss,lira"), [.lira, .loss])
        for text in ["", "loss,", "shokri", "0"] {
            XCTAssertThrowsError(try MembershipAttackKind.parseList(text), text)
        }
    }

    /// Thinning keeps exact points only, both ends, every point at low rates, and at most the limit.
    func testROCThinningKeepsExactPointsAndTheLowRateEnd() throws {
        // 20,000 distinct scores: members slightly higher on average, so the curve has ~20,000 points.
        var rng = SplitMix64(seed: 7)
        let members = (0..<10_000).map { _ in Double(rng.nextGaussian()) + 0.3 }
        let nonMembers = (0..<10_000).map { _ in Double(rng.nextGaussian()) }
        let curve = try ROCCurve(memberScores: members, nonMemberScores: nonMembers)
        XCTAssertGreaterThan(curve.points.count, 19_000)
        let thinned = curve.thinnedRecords()
        XCTAssertLessThanOrEqual(thinned.count, 2000)
        XCTAssertGreaterThan(thinned.count, 1000, "the bisection uses most of the budget")
        XCTAssertEqual(thinned.first?.fpr, 0)
        XCTAssertEqual(thinned.first?.tpr, 0)
        XCTAssertEqual(thinned.last?.fpr, 1)
        XCTAssertEqual(thinned.last?.tpr, 1)
        let exact = Set(curve.points.map { "\($0.truePositives) \($0.falsePositives)" })
        XCTAssertTrue(thinned.allSatisfy { exact.contains("\($0.truePositives) \($0.falsePositives)") }, "only points of the curve")
        // Below 10 false positives (FPR 0.1 %) each point moves a rate by ≥ 10 %: all of them are kept.
        XCTAssertEqual(thinned.filter { $0.falsePositives < 10 }.count, curve.points.filter { $0.falsePositives < 10 }.count)
        // A short curve is kept whole.
        let short = try ROCCurve(memberScores: [3, 2, 1], nonMemberScores: [2.5, 0])
        XCTAssertEqual(short.thinnedRecords().count, short.points.count)
    }

    // MARK: - The overfit model

    /// An mlp trained for 40 epochs on 256 Fashion-MNIST images: it fits them perfectly and generalises far
    /// less well, so membership leaks. Trained once per test process.
    static let overfit: Result<String, Error> = Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("robust-privacy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = TrainConfig(epochs: 40, batchSize: 32, optimizer: .sgd(momentum: 0.9, nesterov: true),
                                 schedule: LearningRateSchedule(base: 0.05), seed: 3)
        let request = TrainRequest(architecture: "mlp", dataset: "fashion-mnist", dataDirectory: nil, samples: 256,
                                   config: config, out: folder.appendingPathComponent("mlp-overfit").path)
        _ = try trainModel(request, context: ExecutionContext(threads: 2))
        return request.out + ".safetensors"
    }

    func overfitModel() throws -> String {
        do { return try Self.overfit.get() } catch { throw XCTSkip("Fashion-MNIST not available to train the overfit model: \(error)") }
    }

    func temporaryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("robust-privacy-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder.path
    }

    /// Defaults from the card (members train:0:256, non-members test:0:256), loss and LiRA with three small
    /// shadows (global variance), and the folder written and read back.
    func testLossAndLiRAOnTheOverfitModel() throws {
        let model = try overfitModel()
        let request = PrivacyRequest(model: model, reference: AuditSplit(split: .train, start: 256, end: 1280),
                                     attacks: [.loss, .lira], shadows: 3, seed: 11)
        var notes: [String] = []
        let results = try runPrivacyAudit(request, context: ExecutionContext(threads: 2)) { notes.append($0) }
        XCTAssertEqual(notes, [])
        XCTAssertEqual(results.members.spec, "train:0:256")
        XCTAssertEqual(results.nonMembers.spec, "test:0:256")
        XCTAssertEqual(results.reference?.spec, "train:256:1280")
        XCTAssertEqual(results.attacks.map(\.name), ["loss", "lira"])
        let loss = results.attacks[0], lira = results.attacks[1]
        // 256 + 256 examples: the AUC's standard error under "no leak" is about 0.026, so 0.6 is ~4 of them.
        XCTAssertGreaterThan(loss.auc, 0.6, "an overfit model leaks membership through its loss")
        XCTAssertGreaterThan(lira.auc, 0.6)
        XCTAssertEqual(loss.operatingPoints.map(\.targetFpr), [0.001, 0.01])
        for point in loss.operatingPoints + lira.operatingPoints {
            XCTAssertLessThanOrEqual(point.fpr, point.targetFpr)
            XCTAssertLessThanOrEqual(point.tprLow, point.tpr)
            XCTAssertGreaterThanOrEqual(point.tprHigh, point.tpr)
        }
        let shadows = try XCTUnwrap(lira.shadows)
        XCTAssertEqual(shadows.variance, "global", "fewer than 8 shadows pool the variance")
        XCTAssertEqual(shadows.trainingSamples, 256, "each shadow trains on as many images as the target")
        XCTAssertEqual(shadows.models.count, 3)
        XCTAssertEqual(Set(shadows.models.map(\.trainingSeed)).count, 3, "each shadow has its own seed")
        XCTAssertTrue(shadows.models.allSatisfy { $0.trainAccuracy > 0.95 }, "shadows follow the overfitting recipe")
        XCTAssertNil(results.dpGuarantee)
        XCTAssertEqual(results.audit.status, .notApplicable)
        XCTAssertNil(PrivacyTable.auditFailure(results))

        let folder = try temporaryFolder()
        try writePrivacyRun(results, to: folder)
        XCTAssertEqual(try PrivacyResults.load(path: PrivacyResults.path(for: folder)), results, "privacy.json reads back whole")
        let csv = try String(contentsOfFile: folder + "/roc.csv", encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("attack,fpr,tpr,true_positives,false_positives,members,non_members\nloss,0.0,0.0,0,0,256,256\n"), String(csv.prefix(200)))
        let html = try String(contentsOfFile: folder + "/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<svg") && html.contains("random guessing") && !html.contains("DP bound"), "log-log ROC, no DP bound")
        let table = PrivacyTable.render(results)
        XCTAssertTrue(table.hasPrefix("attack  AUC     TPR@0.1%FPR"), table)
    }

    /// The same seed gives the same shadows and scores, whatever the thread count.
    func testLiRAIsReproducible() throws {
        let model = try overfitModel()
        let request = PrivacyRequest(model: model, members: AuditSplit(split: .train, start: 0, end: 64),
                                     nonMembers: AuditSplit(split: .test, start: 0, end: 64),
                                     reference: AuditSplit(split: .train, start: 256, end: 768), attacks: [.lira], shadows: 2, seed: 5)
        let one = try runPrivacyAudit(request, context: ExecutionContext(threads: 1))
        let two = try runPrivacyAudit(request, context: ExecutionContext(threads: 2))
        func withoutTimes(_ r: PrivacyResults) -> [MembershipAttackResult] {
            r.attacks.map { attack in
                var attack = attack
                if var shadows = attack.shadows {
                    let untimed = shadows.models.map { model -> ShadowModelInfo in var m = model; m.seconds = 0; return m }
                    shadows.models = untimed
                    attack.shadows = shadows
                }
                return attack
            }
        }
        XCTAssertEqual(withoutTimes(one), withoutTimes(two))
        XCTAssertGreaterThan(one.attacks[0].auc, 0.6)
    }

    /// A forged claim of ε = 0.01 is broken by the overfit model's measured ROC; ε = 10 is not.
    func testDPAuditFailsOnAForgedClaimAndPassesALargeEpsilon() throws {
        let model = try overfitModel()
        func audit(epsilon: Double) throws -> PrivacyResults {
            let folder = try temporaryFolder()
            let weights = folder + "/forged.safetensors"
            try FileManager.default.copyItem(atPath: model, toPath: weights)
            var card = try ModelCard.read(path: ModelCard.path(forCheckpoint: model))
            card.trainingRecipe["dp_epsilon"] = .number(epsilon)
            card.trainingRecipe["dp_delta"] = .number(1e-5)
            try card.write(to: ModelCard.path(forCheckpoint: weights))
            return try runPrivacyAudit(PrivacyRequest(model: weights, attacks: [.loss]), context: ExecutionContext(threads: 2))
        }
        let forged = try audit(epsilon: 0.01)
        XCTAssertEqual(forged.dpGuarantee, DPGuaranteeInfo(epsilon: 0.01, delta: 1e-5))
        XCTAssertEqual(forged.audit.status, .failed)
        let violation = try XCTUnwrap(forged.audit.violations.first)
        XCTAssertEqual(violation.attack, "loss")
        XCTAssertGreaterThan(violation.epsilonLowerBound, 0.01, "the point proves more than the claimed ε")
        XCTAssertGreaterThan(violation.tprLow, exp(0.01) * violation.fprHigh + 1e-5)
        guard case .gateFailed(let message)? = PrivacyTable.auditFailure(forged) else { return XCTFail("a failed audit ends in exit 1") }
        XCTAssertTrue(message.hasPrefix("privacy audit FAILED: loss reaches TPR"), message)
        XCTAssertEqual(forged.auditCheck.status, .fail)

        let honest = try audit(epsilon: 10)
        XCTAssertEqual(honest.audit.status, .passed)
        XCTAssertEqual(honest.audit.violations, [])
        XCTAssertNil(PrivacyTable.auditFailure(honest))
    }

    func testSetRulesAreUsageErrors() throws {
        let model = try overfitModel()
        func usage(_ request: PrivacyRequest, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try runPrivacyAudit(request, context: ExecutionContext(threads: 1)), file: file, line: line) { error in
                guard case ToolError.usage(let message) = error else { return XCTFail("\(error) is not a usage error", file: file, line: line) }
                XCTAssertTrue(message.contains(expected), message, file: file, line: line)
            }
        }
        usage(PrivacyRequest(model: model, members: AuditSplit(split: .train, start: 0, end: 100),
                             nonMembers: AuditSplit(split: .train, start: 50, end: 150), attacks: [.loss]), "overlap")
        usage(PrivacyRequest(model: model, members: AuditSplit(split: .test, start: 0, end: 10_001), attacks: [.loss]), "runs past the 10000 images")
        usage(PrivacyRequest(model: model, reference: AuditSplit(split: .test, start: 100, end: 1000), attacks: [.lira]),
              "reference pool test:100:1000 overlaps --non-members test:0:256")
        // The shipped mlp saw all 60,000 training images: no default pool is left; and the shipped cards'
        // defaults are the whole training set.
        let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("models").path
        usage(PrivacyRequest(model: "mlp", modelsDirectory: models, members: AuditSplit(split: .train, start: 0, end: 10),
                             attacks: [.lira]), "no reference pool is left")
    }

    // MARK: - Gate

    func testGateMembershipRequirements() throws {
        XCTAssertEqual(try GateRequirement.parse("mia-tpr@0.001<=0.05").target, .membership(.tpr(fpr: 0.001), attack: nil))
        XCTAssertEqual(try GateRequirement.parse("mia-auc <= 60%").target, .membership(.auc, attack: nil))
        XCTAssertEqual(try GateRequirement.parse("mia-tpr[lira]@0.01<0.1").target, .membership(.tpr(fpr: 0.01), attack: "lira"))
        for bad in ["mia-tpr<=0.05", "mia-auc@0.1<=0.6", "mia-tpr@2<=0.1", "mia-tpr[]@0.001<=0.1", "mia-x<=1"] {
            XCTAssertThrowsError(try GateRequirement.parse(bad), bad)
        }

        let results = Self.privacyFixture()
        let folder = try temporaryFolder()
        try writePrivacyRun(results, to: folder)
        func gate(_ requirements: [String]) throws -> GateVerdict {
            try runGate(run: folder, options: GateOptions(requirements: requirements), environment: [:]) { _ in }
        }
        // Worst over attacks: lira's 0.04 at 0.1 % FPR, loss's 0.62 AUC.
        let passed = try gate(["mia-tpr@0.001<=0.05", "mia-auc<=0.65", "mia-tpr[loss]@0.001<=0.01"])
        XCTAssertEqual(passed.cases.map(\.measuredText), ["0.0400 (lira)", "0.6200 (loss)", "0.0100", "status pass"])
        XCTAssertEqual(passed.cases.last?.name, "dp-audit")
        XCTAssertThrowsError(try gate(["mia-tpr@0.001<=0.03"])) { error in
            XCTAssertEqual(error as? ToolError, .gateFailed("gate FAILED: 1 of 2 test cases failed (mia-tpr@0.001<=0.03)"))
        }
        XCTAssertThrowsError(try gate(["mia-auc[shokri]<=0.6"])) { error in
            XCTAssertEqual((error as? ToolError)?.exitCode, 1)
        }
        let verdict = try GateVerdict.judge(privacy: results, run: folder, config: GateConfig(requirements: [try .parse("mia-auc<=0.6")]))
        XCTAssertTrue(verdict.junitXML().contains("name=\"mia-auc&lt;=0.6\""))
        XCTAssertTrue(verdict.markdownSummary().contains("| ❌ | `mia-auc<=0.6` | 0.6200 (loss) | <= 0.6000 |"))
        XCTAssertTrue(verdict.textLines()[0].hasPrefix("FAIL  mia-auc<=0.6"))
    }

    /// `robust report` with evaluation and privacy folders: one page, the privacy runs in their own section, each
    /// model's attacks in the colour of the evaluation run with the same weights, told apart by dash.
    func testComparisonPageShowsWhatEachModelLeaks() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("robust-compare-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let models = CertificationEvaluationTests.repository.appendingPathComponent("models").path
        let eval = EvalRequest(model: "mlp", modelsDirectory: models, samples: 8,
                               attacks: [AttackSpec(id: "fgsm", attack: "fgsm", options: AttackOptions(), epsilons: [0, 0.1])], extraChecks: false)
        let results = try runEvaluation(eval, context: testContext, progress: false)
        var privacy = Self.privacyFixture()
        privacy.model.sha256 = results.model.sha256
        privacy.model.name = "models/mlp-fmnist.safetensors"
        try writeRun(results, to: folder + "/eval")
        try writePrivacyRun(privacy, to: folder + "/privacy")
        let report = try runCommand(try builtRobustBinary(), ["report", folder + "/eval", folder + "/privacy", "--out", folder + "/page"])
        XCTAssertEqual(report.code, 0, report.stderr)
        let html = try String(contentsOfFile: folder + "/page/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<section id=\"privacy\">"), "a membership-inference section")
        XCTAssertTrue(html.contains("mlp-fmnist: loss (AUC 0.620)") && html.contains("mlp-fmnist: lira (AUC 0.580)"), "ROC lines labelled by model and attack")
        XCTAssertTrue(html.contains("0.6200"), "the AUC in the table")
        let alone = try runCommand(try builtRobustBinary(), ["report", folder + "/privacy", "--out", folder + "/page2"])
        XCTAssertEqual(alone.code, 2, alone.stderr)
    }

    /// A privacy run of two attacks with fixed figures.
    static func privacyFixture() -> PrivacyResults {
        func attack(_ name: String, auc: Double, tpr: Double) -> MembershipAttackResult {
            let points = [0.001, 0.01].map { OperatingPoint(targetFpr: $0, fpr: $0, tpr: tpr, tprLow: tpr / 2, tprHigh: tpr * 2,
                                                            truePositives: Int(tpr * 1000), falsePositives: Int($0 * 1000), threshold: 1) }
            return MembershipAttackResult(name: name, auc: auc, operatingPoints: points,
                                          roc: [ROCSample(fpr: 0, tpr: 0, truePositives: 0, falsePositives: 0),
                                                ROCSample(fpr: 1, tpr: 1, truePositives: 1000, falsePositives: 1000)],
                                          rocPointsTotal: 2, shadows: nil)
        }
        return PrivacyResults(toolVersion: toolVersion, created: "2026-01-01T00:00:00Z", seconds: 1,
                              model: PrivacyModelInfo(name: "m", path: "m.safetensors", architecture: "mlp", sha256: "ab"),
                              dataset: "fashion-mnist", dataDirectory: "(default location)",
                              members: IndexSetInfo(split: "train", start: 0, end: 1000), nonMembers: IndexSetInfo(split: "test", start: 0, end: 1000),
                              reference: nil, seed: 0, threads: 1,
                              attacks: [attack("loss", auc: 0.62, tpr: 0.01), attack("lira", auc: 0.58, tpr: 0.04)], dpGuarantee: nil,
                              audit: DPAuditResult(status: .notApplicable, confidence: 0.95, violations: [], detail: "not applicable"))
    }

    // MARK: - The binary

    func testUsageErrorsThroughTheBinary() throws {
        let binary = try builtRobustBinary()
        for arguments in [["--members", "train:5:2"], ["--members", "train:0:10", "--attack", "shokri"], ["--shadows", "1"],
                          ["--non-members", "test:0"]] {
            let result = try runCommand(binary, ["privacy"] + arguments)
            XCTAssertEqual(result.code, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("robust: ") && result.stderr.filter { $0 == "\n" }.count == 1, result.stderr)
        }
        let swapped = try runCommand(binary, ["privacy", "--members", "train:5:2"])
        XCTAssertTrue(swapped.stderr.hasPrefix("robust: --members 'train:5:2' is empty: START 5 is not below END 2"), swapped.stderr)
    }
}
