import Attacks
import Metrics

/// The validity checks that need attack runs of their own, on a subset of the correctly
/// classified samples (so their cost stays a small fraction of the evaluation).
struct ExtraChecks {
    let evaluation: AttackEvaluation
    let clean: AttackEvaluation.CleanPass
    let classes: Int
    /// Position of this run's first sample in the whole selection (a shard's offset; 0 for a whole run).
    let firstPosition: Int
    static let subsetSize = 200

    /// The correctly classified samples among the first `subsetSize` of the whole selection. Defined by
    /// global position, not "the first 200 correct ones", so each shard finds its part of the same
    /// subset without knowing the others' predictions, and the shards' counts add up to one run's.
    private var subset: [Int] {
        let labels = evaluation.labels
        return labels.indices.filter { firstPosition + $0 < Self.subsetSize && clean.predictions[$0] == labels[$0] }
    }

    /// PGD-50 at L-inf eps = 1 (any image is reachable): accuracy over the whole subset should be chance.
    func largeEpsilon() -> RunObservations.LargeEps? {
        let positions = subset
        guard !positions.isEmpty, let pgd = try? PGD(options: AttackOptions(norm: .linf, steps: 50)) else { return nil }
        var sub = evaluation
        sub.indices = positions.map { evaluation.indices[$0] }
        let subClean = clean.subset(positions, classes: classes)
        let outcome = sub.run(AttackSpec(id: "check-large-eps", attack: "pgd", options: AttackOptions(norm: .linf, steps: 50), epsilons: [1]),
                              attack: pgd, clean: subClean)
        return RunObservations.LargeEps(robust: outcome.records.filter { $0.isRobust }.count, n: positions.count, chance: 1 / Double(classes))
    }

    /// The first gradient attack again at its middle epsilon with 5x steps and 2 restarts, on the subset.
    func convergence(_ specs: [AttackSpec], outcomes: [SampleRecord]) -> RunObservations.Convergence? {
        guard let spec = specs.first(where: { AttackRegistry.named($0.attack)?.usesGradients == true && !["fgsm", "fgm"].contains($0.attack) }) else { return nil }
        let nonzero = spec.epsilons.filter { $0 > 0 }
        guard !nonzero.isEmpty else { return nil }
        let eps = nonzero[nonzero.count / 2]
        var options = spec.options
        let takes = Set(AttackRegistry.named(spec.attack)?.parameters.map(\.name) ?? [])
        options.steps = 5 * (options.steps ?? (spec.attack.hasPrefix("apgd") ? 100 : 10))
        if takes.contains("restarts") { options.restarts = max(2, options.restarts ?? 1) } // BIM has none
        guard let attack = try? AttackRegistry.make(spec.attack, options: options) else { return nil }
        let positions = subset
        guard !positions.isEmpty else { return nil }
        var sub = evaluation
        sub.indices = positions.map { evaluation.indices[$0] }
        let stronger = sub.run(AttackSpec(id: spec.id + "-check", attack: spec.attack, options: options, epsilons: [eps]),
                               attack: attack, clean: clean.subset(positions, classes: classes))
        let chosen = Set(sub.indices)
        let base = outcomes.filter { $0.attack == spec.id && $0.eps == eps && chosen.contains($0.index) }
        guard base.count == positions.count else { return nil }
        return RunObservations.Convergence(attack: spec.id, eps: eps, baseRobust: base.filter { $0.isRobust }.count,
                                           strongerRobust: stronger.records.filter { $0.isRobust }.count, n: positions.count)
    }
}
