import Certify
import Datasets
import Foundation
import Metrics
import NN
import Reports
import Workflow

/// `robust eval --certify`: certified lower bounds for the selection at every ε of the run's L∞ grids (ascending),
/// each sample keeping the tightest of `methods`' bounds (see `Certify`). Runs before the attacks, so a
/// model with layers that have no bound rule fails in a second, not after the evaluation.
func certifySelection(network: any Layer, dataset: Dataset, indices: [Int], epsilons: [Double], methods: [BoundMethod],
                      batchSize: Int, context: ExecutionContext, progress: Bool) throws -> CertificationRun {
    let started = Date()
    let bounded: BoundedNetwork
    do { bounded = try BoundedNetwork(network) } catch {
        throw ToolError.usage("cannot bound this model: \(error); certification takes models built from Linear, Conv2d, BatchNorm2d, pools, ReLU and residual blocks")
    }
    network.isTraining = false
    var records: [CertifiedRecord] = []
    records.reserveCapacity(indices.count * epsilons.count)
    // Smallest ε first; a sample not certified at one ε is not bounded again at larger ones (its ball only
    // grows): it is recorded as not certified, with no bound (margin -infinity). Sound, and per sample, so
    // batch size, threads and shards still change nothing; it skips most of the work at large ε.
    let grid = Array(Set(epsilons)).sorted()
    var candidates = indices
    for (e, eps) in grid.enumerated() {
        var bounds: [Int: (certified: Bool, margin: Float)] = [:]
        for batch in dataset.batches(indices: candidates, batchSize: batchSize) {
            let result = bounded.certify(x: batch.x, labels: batch.labels, eps: Float(eps), methods: methods, context: context)
            for (s, index) in batch.indices.enumerated() { bounds[index] = (result.certified[s], result.margins[s]) }
        }
        for index in indices {
            let bound = bounds[index] ?? (false, -.infinity)
            records.append(CertifiedRecord(index: index, eps: eps, certified: bound.certified, margin: Double(bound.margin)))
        }
        candidates = candidates.filter { bounds[$0]?.certified ?? false }
        if progress {
            let elapsed = Date().timeIntervalSince(started)
            let eta = elapsed / Double(e + 1) * Double(grid.count - e - 1)
            let line = String(format: "certify (%@) ε=%@: %d/%d certified  [%d/%d, %.0f s, ETA %.0f s]\n",
                              methods.map(\.rawValue).joined(separator: "+"), formatEpsilon(eps),
                              records.suffix(indices.count).filter(\.certified).count, indices.count,
                              e + 1, grid.count, elapsed, eta)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
    return CertificationRun(methods: methods.map(\.rawValue), epsilons: grid, records: records,
                            seconds: Date().timeIntervalSince(started))
}

/// The bound methods named on the command line (`ibp`, `crown`, or both comma-separated), in order.
public func parseBoundMethods(_ text: String, flag: String = "--certify") throws -> [String] {
    let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    let known = BoundMethod.allCases.map(\.rawValue)
    guard !names.isEmpty else { throw ToolError.usage("\(flag) needs a method: \(known.joined(separator: ", ")) or both (ibp,crown)") }
    for name in names where !known.contains(name) {
        throw ToolError.usage("\(flag): method '\(name)' is unknown; use \(known.joined(separator: ", ")) or both (ibp,crown)")
    }
    return names.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
}
