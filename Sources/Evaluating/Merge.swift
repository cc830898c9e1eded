import Foundation
import Metrics
import Workflow

/// `robust merge`: the shards of one run, put together into the results one process would have
/// written (timings aside: they are the shards' sums).
///
/// The shards must belong together (model, data, selection, attacks and every parameter, seed, tool
/// version) and be complete: each of 0..<N exactly once. Anything else is bad input (exit 3) naming
/// the first difference or the missing shard.
public func mergeShards(_ parts: [(path: String, results: RunResults)]) throws -> RunResults {
    guard let first = parts.first else { throw ToolError.usage("merge needs the shard folders to merge") }
    var shards: [(path: String, results: RunResults, info: ShardInfo)] = []
    for part in parts {
        guard let info = part.results.shard else {
            throw ToolError.badInput("\(part.path) is not a shard (its results.json has no shard record); merge takes the folders written by `robust eval --shard I/N` or an array job")
        }
        guard part.results.observations != nil else {
            throw ToolError.badInput("\(part.path) has no validity observations (written by an older robust); re-run the shard")
        }
        shards.append((part.path, part.results, info))
    }
    let reference = shards[0]
    for shard in shards.dropFirst() {
        if let difference = configurationDifference(reference.results, shard.results) {
            throw ToolError.badInput("\(shard.path) and \(reference.path) are not shards of one run: \(difference) differs; merge shards of one configuration")
        }
    }
    let count = reference.info.count
    var byIndex = [Int: String]()
    for shard in shards {
        if let other = byIndex[shard.info.index] {
            throw ToolError.badInput("shard \(shard.info.index) of \(count) is given twice (\(other) and \(shard.path)); pass each shard once")
        }
        byIndex[shard.info.index] = shard.path
    }
    let missing = (0..<count).filter { byIndex[$0] == nil }
    guard missing.isEmpty else {
        throw ToolError.badInput("shard\(missing.count > 1 ? "s" : "") \(missing.map(String.init).joined(separator: ", ")) of \(count) missing (have \(byIndex.keys.sorted().map(String.init).joined(separator: ", "))); pass every shard's folder, or re-run the missing one with --shard I/\(count)")
    }
    let ordered = shards.sorted { $0.info.index < $1.info.index }
    let indices = ordered.flatMap { $0.results.dataset.indices }
    guard indices.count == reference.info.selectionCount, selectionDigest(indices) == reference.info.selectionDigest else {
        throw ToolError.badInput("the shards' samples do not make up the selection they were cut from (\(indices.count) of \(reference.info.selectionCount)); re-run the shards")
    }

    let runs = ordered.map(\.results)
    var samples: [SampleRecord] = [], curve: [CurvePoint] = [], examples: [Example] = [], attackRuns: [AttackRun] = []
    for attack in first.results.attacks {
        for eps in attack.epsilons {
            let records = runs.flatMap { run in run.samples.filter { $0.attack == attack.id && $0.eps == eps } }
            let points = runs.compactMap { run in run.curve.first { $0.attack == attack.id && $0.eps == eps } }
            samples += records
            curve.append(.from(attack: attack.id, norm: attack.norm, eps: eps, records: records,
                               queries: points.reduce(0) { $0 + $1.queries }, seconds: points.reduce(0) { $0 + $1.seconds }))
        }
        examples += runs.flatMap { run in run.examples.filter { $0.attack == attack.id } }.prefix(reference.info.examplesPerAttack)
        var merged = attack
        merged.seconds = runs.reduce(0) { total, run in total + (run.attacks.first { $0.id == attack.id }?.seconds ?? 0) }
        attackRuns.append(merged)
    }
    curve += CurvePoint.worstCase(samples: samples)
    let clean = CleanResult(n: runs.reduce(0) { $0 + $1.clean.n }, correct: runs.reduce(0) { $0 + $1.clean.correct })
    var certification: CertificationRun?
    if let firstCertification = runs[0].certification {
        guard runs.allSatisfy({ $0.certification?.methods == firstCertification.methods && $0.certification?.epsilons == firstCertification.epsilons }) else {
            throw ToolError.badInput("the shards were not all run with the same --certify; re-run the shards with one command")
        }
        certification = CertificationRun(methods: firstCertification.methods, epsilons: firstCertification.epsilons,
                                         // One process's order: ε-major, then the selection's order.
                                         records: firstCertification.epsilons.flatMap { eps in
                                             runs.flatMap { $0.certification!.records.filter { $0.eps == eps } }
                                         },
                                         seconds: runs.reduce(0) { $0 + $1.certification!.seconds })
        curve += certification!.curvePoints(cleanAccuracy: clean.accuracy)
    } else if runs.contains(where: { $0.certification != nil }) {
        throw ToolError.badInput("the shards were not all run with the same --certify; re-run the shards with one command")
    }
    let observations = runs.dropFirst().reduce(runs[0].observations!) { $0.adding($1.observations!) }
    var dataset = reference.results.dataset
    dataset.indices = indices
    return RunResults(toolVersion: reference.results.toolVersion, created: runs.map(\.created).min()!,
                      seconds: runs.reduce(0) { $0 + $1.seconds }, model: reference.results.model, dataset: dataset,
                      seed: reference.results.seed, threads: reference.results.threads, batchSize: reference.results.batchSize,
                      clean: clean, attacks: attackRuns, curve: curve, samples: samples, examples: examples,
                      checks: ValidityChecks.run(curve: curve, clean: clean, attacks: attackRuns, observed: observations,
                                                 samples: samples, certification: certification,
                                                 // Only correctly classified samples are attacked: their records say which.
                                                 correctlyClassified: Set(samples.filter { $0.cleanPred == $0.label }.map(\.index))),
                      observations: observations, shard: nil, certification: certification)
}

/// The first thing that makes `b` a shard of another run than `a`, or nil.
func configurationDifference(_ a: RunResults, _ b: RunResults) -> String? {
    let (x, y) = (a.shard!, b.shard!)
    let pairs: [(String, Bool)] = [
        ("the shard count (\(x.count) vs \(y.count))", x.count == y.count),
        ("the sample selection", x.selectionDigest == y.selectionDigest && x.selectionCount == y.selectionCount),
        ("the seed (\(a.seed) vs \(b.seed))", a.seed == b.seed),
        ("the tool version (\(a.toolVersion) vs \(b.toolVersion))", a.toolVersion == b.toolVersion),
        ("the model (SHA-256 \(a.model.sha256.prefix(12))… vs \(b.model.sha256.prefix(12))…)", a.model.sha256 == b.model.sha256),
        ("the dataset (\(a.dataset.name) vs \(b.dataset.name))", a.dataset.name == b.dataset.name && a.dataset.split == b.dataset.split
            && a.dataset.classNames == b.dataset.classNames && a.dataset.channels == b.dataset.channels
            && a.dataset.height == b.dataset.height && a.dataset.width == b.dataset.width),
        ("the attacks (\(a.attacks.map(\.id).joined(separator: ",")) vs \(b.attacks.map(\.id).joined(separator: ",")))",
         a.attacks.map(\.id) == b.attacks.map(\.id)),
        ("the gallery size", x.examplesPerAttack == y.examplesPerAttack),
    ]
    if let first = pairs.first(where: { !$0.1 }) { return first.0 }
    for (p, q) in zip(a.attacks, b.attacks) where p.attack != q.attack || p.norm != q.norm || p.epsilons != q.epsilons || p.parameters != q.parameters {
        let keys = Set(p.parameters.keys).union(q.parameters.keys).sorted().filter { p.parameters[$0] != q.parameters[$0] }
        let detail = keys.first.map { "\($0) \(p.parameters[$0] ?? "unset") vs \(q.parameters[$0] ?? "unset")" }
            ?? "\(p.attack) \(p.norm) \(p.epsilons) vs \(q.attack) \(q.norm) \(q.epsilons)"
        return "attack '\(p.id)' (\(detail))"
    }
    return nil
}
