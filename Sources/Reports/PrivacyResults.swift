import Metrics

/// What `robust privacy` measured, as written to `privacy.json`: the source of truth for its CSV, its HTML page
/// and `robust gate`'s `mia-*` requirements. Plain values only (the ROC arithmetic lives in `Privacy`), so the
/// reports and the gate read it without the workflow that made it.
public struct PrivacyResults: Codable, Equatable, Sendable {
    /// Bumped whenever a field changes meaning; readers refuse other versions.
    public static let currentSchemaVersion = 1
    /// The false-positive rates every attack is summarised at (0.1 % and 1 %, as Carlini et al. 2022 report).
    public static let reportedFPRs = [0.001, 0.01]

    public var schemaVersion: Int
    public var toolVersion: String
    /// ISO 8601, when the audit started.
    public var created: String
    public var seconds: Double
    public var model: PrivacyModelInfo
    /// The dataset's name and where it was read from.
    public var dataset: String
    public var dataDirectory: String
    public var members: IndexSetInfo
    public var nonMembers: IndexSetInfo
    /// The pool LiRA's shadow models draw their training sets from; nil when no attack needs one.
    public var reference: IndexSetInfo?
    public var seed: UInt64
    public var threads: Int
    public var attacks: [MembershipAttackResult]
    /// The (ε, δ) the model card claims, nil when it claims none.
    public var dpGuarantee: DPGuaranteeInfo?
    /// The DP audit of every attack's ROC against `dpGuarantee`.
    public var audit: DPAuditResult

    public init(toolVersion: String, created: String, seconds: Double, model: PrivacyModelInfo, dataset: String,
                dataDirectory: String, members: IndexSetInfo, nonMembers: IndexSetInfo, reference: IndexSetInfo?,
                seed: UInt64, threads: Int, attacks: [MembershipAttackResult], dpGuarantee: DPGuaranteeInfo?, audit: DPAuditResult) {
        schemaVersion = Self.currentSchemaVersion
        (self.toolVersion, self.created, self.seconds, self.model, self.dataset) = (toolVersion, created, seconds, model, dataset)
        (self.dataDirectory, self.members, self.nonMembers, self.reference) = (dataDirectory, members, nonMembers, reference)
        (self.seed, self.threads, self.attacks, self.dpGuarantee, self.audit) = (seed, threads, attacks, dpGuarantee, audit)
    }
}

/// The audited model: how it was named, which file, and the file's SHA-256.
public struct PrivacyModelInfo: Codable, Equatable, Sendable {
    public var name: String
    public var path: String
    public var architecture: String
    public var sha256: String

    public init(name: String, path: String, architecture: String, sha256: String) {
        (self.name, self.path, self.architecture, self.sha256) = (name, path, architecture, sha256)
    }
}

/// A half-open block of one split's indices, as written on the command line (`train:0:2000`) and counted.
public struct IndexSetInfo: Codable, Equatable, Sendable {
    public var spec: String
    public var split: String
    public var start: Int
    public var end: Int
    public var count: Int

    public init(split: String, start: Int, end: Int) {
        (self.split, self.start, self.end, count, spec) = (split, start, end, end - start, "\(split):\(start):\(end)")
    }
}

/// One attack's outcome over the members and non-members.
public struct MembershipAttackResult: Codable, Equatable, Sendable {
    /// `loss` or `lira`.
    public var name: String
    public var auc: Double
    /// The attack's best TPR at each of `PrivacyResults.reportedFPRs`, with its Clopper–Pearson interval.
    public var operatingPoints: [OperatingPoint]
    /// The ROC from (0, 0) to (1, 1), thinned to at most 2,000 exact points (see `Auditing`'s thinning).
    public var roc: [ROCSample]
    /// The ROC's point count before thinning.
    public var rocPointsTotal: Int
    /// LiRA's shadow models; nil for the loss attack.
    public var shadows: ShadowSummary?

    public init(name: String, auc: Double, operatingPoints: [OperatingPoint], roc: [ROCSample], rocPointsTotal: Int, shadows: ShadowSummary?) {
        (self.name, self.auc, self.operatingPoints, self.roc, self.rocPointsTotal, self.shadows) = (name, auc, operatingPoints, roc, rocPointsTotal, shadows)
    }

    /// The operating point at `fpr` (one of `reportedFPRs`), nil for another rate.
    public func operatingPoint(atFPR fpr: Double) -> OperatingPoint? {
        operatingPoints.first { abs($0.targetFpr - fpr) <= 1e-12 }
    }
}

/// The largest TPR among thresholds whose FPR is at most `targetFpr`.
public struct OperatingPoint: Codable, Equatable, Sendable {
    /// Spelled `targetFpr`, not `targetFPR`, so that snake_case (`target_fpr`) reads back to the same name.
    public var targetFpr: Double
    /// The FPR that threshold actually has (at most `targetFpr`).
    public var fpr: Double
    public var tpr: Double
    /// Clopper–Pearson 95 % interval of the TPR.
    public var tprLow: Double
    public var tprHigh: Double
    public var truePositives: Int
    public var falsePositives: Int
    /// The score threshold (an example scoring at least this is called a member); nil for "call nothing a member".
    public var threshold: Double?

    public init(targetFpr: Double, fpr: Double, tpr: Double, tprLow: Double, tprHigh: Double, truePositives: Int,
                falsePositives: Int, threshold: Double?) {
        (self.targetFpr, self.fpr, self.tpr, self.tprLow, self.tprHigh) = (targetFpr, fpr, tpr, tprLow, tprHigh)
        (self.truePositives, self.falsePositives, self.threshold) = (truePositives, falsePositives, threshold)
    }
}

/// One point of a ROC curve, with the counts its rates come from.
public struct ROCSample: Codable, Equatable, Sendable {
    public var fpr: Double
    public var tpr: Double
    public var truePositives: Int
    public var falsePositives: Int

    public init(fpr: Double, tpr: Double, truePositives: Int, falsePositives: Int) {
        (self.fpr, self.tpr, self.truePositives, self.falsePositives) = (fpr, tpr, truePositives, falsePositives)
    }
}

/// How LiRA's OUT distributions were made: the recipe's source, the variance estimate and every shadow model.
public struct ShadowSummary: Codable, Equatable, Sendable {
    /// `per-example` (8 or more shadows) or `global` (fewer: the Gaussian's variance pooled over examples).
    public var variance: String
    /// Where each shadow's training set is drawn from, and its size.
    public var pool: String
    public var trainingSamples: Int
    /// The target's own recipe (TrainConfig as JSON, as its card holds it); each shadow runs it with its own
    /// `trainingSeed` in place of the recipe's seed.
    public var recipe: String
    public var models: [ShadowModelInfo]

    public init(variance: String, pool: String, trainingSamples: Int, recipe: String, models: [ShadowModelInfo]) {
        (self.variance, self.pool, self.trainingSamples, self.recipe, self.models) = (variance, pool, trainingSamples, recipe, models)
    }
}

/// One shadow model: its seeds (the training subset's and the weights' and batches'), and how it trained.
public struct ShadowModelInfo: Codable, Equatable, Sendable {
    public var index: Int
    /// Seeds the Fisher–Yates draw of the training subset from the pool.
    public var subsetSeed: UInt64
    /// The recipe's seed for this shadow: initial weights and batch order.
    public var trainingSeed: UInt64
    /// The last epoch's training accuracy and loss.
    public var trainAccuracy: Double
    public var trainLoss: Double
    public var seconds: Double

    public init(index: Int, subsetSeed: UInt64, trainingSeed: UInt64, trainAccuracy: Double, trainLoss: Double, seconds: Double) {
        (self.index, self.subsetSeed, self.trainingSeed, self.trainAccuracy, self.trainLoss, self.seconds) =
            (index, subsetSeed, trainingSeed, trainAccuracy, trainLoss, seconds)
    }
}

/// The (ε, δ)-DP guarantee a model card claims (training recipe keys `dp_epsilon`, `dp_delta`).
public struct DPGuaranteeInfo: Codable, Equatable, Sendable {
    public var epsilon: Double
    public var delta: Double

    public init(epsilon: Double, delta: Double) { (self.epsilon, self.delta) = (epsilon, delta) }
}

/// The DP audit: every attack's ROC checked against the claimed guarantee (TPR ≤ e^ε·FPR + δ, with the TPR's
/// lower and the FPR's upper Clopper–Pearson bound at `confidence`).
public struct DPAuditResult: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// No point of any ROC breaks the claim.
        case passed
        /// Some point does: the claimed ε is wrong (accountant, clipping or noise).
        case failed
        /// The card claims no guarantee.
        case notApplicable = "not-applicable"
    }

    public var status: Status
    public var confidence: Double
    /// The worst point of each attack that breaks the claim; empty unless failed.
    public var violations: [DPViolationInfo]
    /// One sentence: what was checked and what it found.
    public var detail: String

    public init(status: Status, confidence: Double, violations: [DPViolationInfo], detail: String) {
        (self.status, self.confidence, self.violations, self.detail) = (status, confidence, violations, detail)
    }
}

/// One attack's worst point against the claimed guarantee.
public struct DPViolationInfo: Codable, Equatable, Sendable {
    public var attack: String
    public var fpr: Double
    public var tpr: Double
    public var tprLow: Double
    public var fprHigh: Double
    /// tprLow − (e^ε·fprHigh + δ), positive.
    public var excess: Double
    /// The ε this point alone proves.
    public var epsilonLowerBound: Double

    public init(attack: String, fpr: Double, tpr: Double, tprLow: Double, fprHigh: Double, excess: Double, epsilonLowerBound: Double) {
        (self.attack, self.fpr, self.tpr, self.tprLow, self.fprHigh, self.excess, self.epsilonLowerBound) =
            (attack, fpr, tpr, tprLow, fprHigh, excess, epsilonLowerBound)
    }
}

extension PrivacyResults {
    /// The audit as a validity check (`dp-audit`), as the gate lists checks: failed fails, the rest pass.
    public var auditCheck: ValidityCheck {
        ValidityCheck(id: "dp-audit", title: "DP audit of the measured ROC",
                      status: audit.status == .failed ? .fail : .pass, detail: audit.detail,
                      advice: audit.status == .failed
                          ? "An attack beat what the claimed (ε, δ) allows: the accountant, the per-sample clipping or the noise is wrong; retrain after fixing it."
                          : "")
    }
}
