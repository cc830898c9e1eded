import Privacy
import XCTest

/// SplitMix64 (Steele et al. 2014) with Box–Muller normals: a seeded stream local to each test.
private struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in (0, 1]: 53 random bits, never 0 (Box–Muller takes its log).
    mutating func uniform() -> Double { (Double(next() >> 11) + 1) / 9_007_199_254_740_992 }
    mutating func normal() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()) }
}

final class MembershipInferenceTests: XCTestCase {
    /// members [3, 2, 2, 1], non-members [2, 1, 0], by hand: thresholds +∞, 3, 2, 1, 0 give (FP, TP) = (0, 0),
    /// (0, 1), (1, 3), (2, 4), (3, 4); the tie at 2 moves one member and one non-member together.
    func testSmallROCWithTies() throws {
        let roc = try ROCCurve(memberScores: [3, 2, 1, 2], nonMemberScores: [0, 2, 1])
        XCTAssertEqual(roc.points.map(\.threshold), [.infinity, 3, 2, 1, 0])
        XCTAssertEqual(roc.points.map(\.truePositives), [0, 1, 3, 4, 4])
        XCTAssertEqual(roc.points.map(\.falsePositives), [0, 0, 1, 2, 3])
        XCTAssertEqual(roc.points.map(\.tpr), [0, 0.25, 0.75, 1, 1])
        // Trapezoids: 1/3·(0.25 + 0.75)/2 + 1/3·(0.75 + 1)/2 + 1/3·1 = 19/24; U = 3 + 2·2.5 + 1.5 = 9.5 of 12 pairs.
        XCTAssertEqual(roc.auc, 19.0 / 24.0, accuracy: 1e-15)
        XCTAssertEqual(roc.point(atFPR: 0).tpr, 0.25)
        XCTAssertEqual(roc.point(atFPR: 0.3).tpr, 0.25)
        XCTAssertEqual(roc.point(atFPR: 1.0 / 3.0).tpr, 0.75)
        XCTAssertEqual(roc.point(atFPR: 1).tpr, 1)
        // All scores tied: one point past the origin, AUC exactly 1/2.
        let flat = try ROCCurve(memberScores: [5, 5], nonMemberScores: [5, 5, 5])
        XCTAssertEqual(flat.points.count, 2)
        XCTAssertEqual(flat.auc, 0.5)
        XCTAssertEqual(flat.point(atFPR: 0.99).tpr, 0)
    }

    /// The trapezoid AUC equals the Mann–Whitney U/(m·n) counted pair by pair, exactly (both are k/(2mn)),
    /// on integer scores that tie often.
    func testAUCEqualsMannWhitney() throws {
        var random = SplitMix64(state: 19)
        for (m, n) in [(1, 1), (7, 3), (50, 80), (200, 150)] {
            let members = (0..<m).map { _ in Double(random.next() % 12) }
            let nonMembers = (0..<n).map { _ in Double(random.next() % 10) }
            var twiceU = 0
            for a in members { for b in nonMembers { twiceU += a > b ? 2 : a == b ? 1 : 0 } }
            let roc = try ROCCurve(memberScores: members, nonMemberScores: nonMembers)
            XCTAssertEqual(roc.auc, Double(twiceU) / Double(2 * m * n), "m \(m) n \(n)")
            XCTAssertEqual(roc.points.count, Set(members + nonMembers).count + 1)
        }
    }

    /// Members ~ N(d, 1), non-members ~ N(0, 1): AUC = Φ(d/√2). With 20 000 of each the AUC's standard error is
    /// about 0.0025 (Hanley–McNeil at d = 1), so 0.01 is four of them.
    func testGaussianSeparation() throws {
        var random = SplitMix64(state: 2022)
        for (d, expected) in [(0.0, 0.5), (1.0, 0.7602499389065233), (2.0, 0.9213503964748574)] {
            XCTAssertEqual(normalCDF(d / 2.0.squareRoot()), expected, accuracy: 1e-15)
            let members = (0..<20_000).map { _ in d + random.normal() }
            let nonMembers = (0..<20_000).map { _ in random.normal() }
            let roc = try ROCCurve(memberScores: members, nonMemberScores: nonMembers)
            XCTAssertEqual(roc.auc, expected, accuracy: 0.01, "d \(d)")
            // At FPR 10 % the threshold is the non-members' 90 % quantile 1.2816, so TPR ≈ 1 − Φ(1.2816 − d).
            let point = roc.point(atFPR: 0.1)
            XCTAssertEqual(point.tpr, 1 - normalCDF(1.2815515655446004 - d), accuracy: 0.015, "d \(d)")
            XCTAssertLessThanOrEqual(point.fpr, 0.1)
            let interval = roc.tprInterval(point)
            XCTAssertTrue(interval.low < point.tpr && point.tpr < interval.high)
        }
    }

    /// Clopper–Pearson ends against scipy.stats.beta.ppf (1e-9: the bisection and continued fraction are good to
    /// ~1e-14, lgamma's rounding at n = 10 000 to ~1e-12).
    func testClopperPearsonAgainstScipy() {
        let cases: [(Int, Int, Double, Double)] = [
            (5, 10, 0.18708602844739855, 0.8129139715526015), (0, 10, 0, 0.3084971078187607),
            (10, 10, 0.6915028921812392, 1), (50, 100, 0.398321129503301, 0.601678870496699),
            (3, 1000, 0.0006190999316495715, 0.008742023238478303), (9990, 10000, 0.9981617358657894, 0.9995203602762289),
        ]
        for (x, n, low, high) in cases {
            let interval = clopperPearsonInterval(successes: x, trials: n)
            XCTAssertEqual(interval.low, low, accuracy: 1e-9, "\(x)/\(n)")
            XCTAssertEqual(interval.high, high, accuracy: 1e-9, "\(x)/\(n)")
        }
    }

    /// A forged attack that separates 1000 members from 1000 non-members perfectly: TPR ≥ 0.99632, FPR ≤ 0.00368
    /// (0.025^(1/1000) and its complement), so ε = 1 is refuted, and the point proves ε ≥ log(0.99631/0.00368).
    func testAuditCatchesAForgedViolation() throws {
        let roc = try ROCCurve(memberScores: Array(repeating: 1, count: 1000), nonMemberScores: Array(repeating: 0, count: 1000))
        let violation = try XCTUnwrap(try roc.worstDPViolation(epsilon: 1, delta: 1e-5))
        XCTAssertEqual(violation.point.truePositives, 1000)
        XCTAssertEqual(violation.point.falsePositives, 0)
        XCTAssertEqual(violation.tprLow, 0.9963179161031344, accuracy: 1e-9)
        XCTAssertEqual(violation.fprHigh, 0.003682083896865671, accuracy: 1e-9)
        XCTAssertEqual(violation.excess, 0.9963179161031344 - (exp(1) * 0.003682083896865671 + 1e-5), accuracy: 1e-9)
        XCTAssertEqual(violation.epsilonLowerBound, log((0.9963179161031344 - 1e-5) / 0.003682083896865671), accuracy: 1e-8)
        XCTAssertNil(try roc.worstDPViolation(epsilon: 6, delta: 1e-5))
    }

    /// The same perfect split on 10 + 10 examples breaks ε = 1 on raw rates (1 > e·0) but not on the intervals
    /// (0.6915 < e·0.3085 = 0.839): too few examples to refute the claim.
    func testAuditAllowsForSamplingNoise() throws {
        let roc = try ROCCurve(memberScores: Array(repeating: 1, count: 10), nonMemberScores: Array(repeating: 0, count: 10))
        XCTAssertEqual(roc.point(atFPR: 0).tpr, 1)
        XCTAssertNil(try roc.worstDPViolation(epsilon: 1, delta: 0))
    }

    /// Members and non-members from one distribution (an attack on a model that learnt nothing of them) are
    /// consistent with ε = 0.5 at every threshold.
    func testAuditPassesAConsistentAttack() throws {
        var random = SplitMix64(state: 7)
        let roc = try ROCCurve(memberScores: (0..<5000).map { _ in random.normal() },
                               nonMemberScores: (0..<5000).map { _ in random.normal() })
        XCTAssertNil(try roc.worstDPViolation(epsilon: 0.5, delta: 1e-5))
        XCTAssertThrowsError(try roc.worstDPViolation(epsilon: -1, delta: 1e-5))
        XCTAssertThrowsError(try roc.worstDPViolation(epsilon: 1, delta: 1))
    }

    func testLossAttackAndConfidence() {
        XCTAssertEqual(lossAttackScores(losses: [0.1, 2.5, 0]), [-0.1, -2.5, -0])
        // φ = log(p/(1 − p)) directly where that is exact enough, and from logits where p rounds to 1.
        let logits = [2.0, -1.0, 0.5]
        let p = exp(2.0) / (exp(2.0) + exp(-1.0) + exp(0.5))
        XCTAssertEqual(logitScaledConfidence(logits: logits, label: 0), log(p / (1 - p)), accuracy: 1e-13)
        XCTAssertEqual(logitScaledConfidence(logits: [1000, 0, 0], label: 0), 1000 - log(2.0), accuracy: 1e-12)
        XCTAssertEqual(logitScaledConfidence(logits: [0, 1000, 0], label: 0), -1000, accuracy: 1e-12)
    }

    /// log(1 − Φ(z)) against scipy.stats.norm.logsf, across the switch to the asymptotic series at z = 25·√2.
    func testNormalLogSurvivalAgainstScipy() {
        let cases: [(Double, Double)] = [
            (-3, -0.0013508099647481925), (0, -0.6931471805599453), (1.5, -2.7059444008238898), (8, -35.01343715991456),
            (10, -53.23128515051248), (40, -804.6084420137539), (300, -45006.62273211866),
        ]
        for (z, expected) in cases { XCTAssertEqual(normalLogSurvival(z), expected, accuracy: 1e-13 * max(1, abs(expected)), "z \(z)") }
        let below = normalLogSurvival(25 * 2.0.squareRoot() - 1e-9), above = normalLogSurvival(25 * 2.0.squareRoot() + 1e-9)
        XCTAssertGreaterThan(below, above)
        XCTAssertEqual(below, above, accuracy: 1e-6)
    }

    /// Offline LiRA: fits by hand, then scores ordered by how far φ sits above the OUT mean in OUT standard
    /// deviations (not in raw φ), −log(1 − Φ(z)) against Φ, and still ordered where Φ rounds to 1.
    func testOfflineLiRA() throws {
        let out: [[Double]] = [[0, 2], [10, 10.5, 11], [-4, -2]]
        let perExample = try fitOutGaussians(outConfidences: out, variance: .perExample)
        XCTAssertEqual(perExample.map(\.mean), [1, 10.5, -3])
        XCTAssertEqual(perExample.map(\.variance), [2, 0.25, 2])
        // Pooled: (2 + 0.5 + 2) squared deviations over (1 + 2 + 1) degrees of freedom.
        XCTAssertEqual(try fitOutGaussians(outConfidences: out, variance: .global).map(\.variance), [1.125, 1.125, 1.125])

        // Targets at z = 1, 2 and 0.5 under the per-example fits: the order follows z, not φ.
        let scores = try offlineLiRAScores(targetConfidences: [1 + 2.0.squareRoot(), 11.5, -3 + 0.5 * 2.0.squareRoot()],
                                           outConfidences: out, variance: .perExample)
        XCTAssertEqual(scores[0], -log(1 - normalCDF(1)), accuracy: 1e-12)
        XCTAssertEqual(scores[1], -log(1 - normalCDF(2)), accuracy: 1e-12)
        XCTAssertGreaterThan(scores[1], scores[0])
        XCTAssertGreaterThan(scores[0], scores[2])
        let far = [12.0, 30, 60].map { perExample[0].score(1 + $0 * 2.0.squareRoot()) }
        XCTAssertEqual(far, far.sorted())
        XCTAssertTrue(far.allSatisfy(\.isFinite))

        XCTAssertThrowsError(try fitOutGaussians(outConfidences: [[1, 2], [3]], variance: .perExample)) {
            XCTAssertEqual($0 as? PrivacyError, .tooFewShadowModels(example: 1, count: 1, needed: 2))
        }
        XCTAssertEqual(try fitOutGaussians(outConfidences: [[1, 2], [3]], variance: .global).map(\.variance), [0.5, 0.5])
        XCTAssertThrowsError(try fitOutGaussians(outConfidences: [[1], [3]], variance: .global)) {
            XCTAssertEqual($0 as? PrivacyError, .noVarianceEstimate)
        }
    }

    /// Offline LiRA separates members from non-members in a simulated world where training lifts φ by 1.5 OUT
    /// standard deviations and examples differ in difficulty (their OUT means): it beats the loss-style attack
    /// that ranks raw φ, because it removes the per-example difficulty.
    func testOfflineLiRABeatsRawConfidence() throws {
        var random = SplitMix64(state: 31)
        var (memberTargets, memberOut, otherTargets, otherOut) = ([Double](), [[Double]](), [Double](), [[Double]]())
        for k in 0..<2000 {
            let difficulty = 4 * random.normal()
            let shadows = (0..<8).map { _ in difficulty + random.normal() }
            if k % 2 == 0 {
                memberTargets.append(difficulty + 1.5 + random.normal()); memberOut.append(shadows)
            } else {
                otherTargets.append(difficulty + random.normal()); otherOut.append(shadows)
            }
        }
        let lira = try offlineLiRAScores(targetConfidences: memberTargets + otherTargets, outConfidences: memberOut + otherOut,
                                         variance: .global)
        let liraROC = try ROCCurve(memberScores: Array(lira[..<1000]), nonMemberScores: Array(lira[1000...]))
        let rawROC = try ROCCurve(memberScores: memberTargets, nonMemberScores: otherTargets)
        // Φ(1.5/√2) = 0.856 for LiRA with known means; Φ(1.5/√(2·17)) = 0.600 for raw φ.
        XCTAssertEqual(liraROC.auc, 0.856, accuracy: 0.03)
        XCTAssertEqual(rawROC.auc, 0.600, accuracy: 0.03)
    }
}
