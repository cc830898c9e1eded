import Attacks
import Datasets
import Kernels
import Models
import NN
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Workflow

/// Throughput of an attack on a shipped checkpoint with fixed work: real Fashion-MNIST test
/// images, pruning off (every sample runs every step), images per second over `runs` batches.
public struct AttackBenchResult: Codable, Sendable {
    public var model: String
    public var attack: String
    public var steps: Int
    public var batch_size: Int
    public var threads: Int
    public var runs: Int
    public var images_per_second_median: Double
    public var images_per_second_min: Double
    public var images_per_second_max: Double
    /// Peak resident memory of the process so far, MiB.
    public var peak_rss_mib: Double
}

/// One batch of an attack on a shipped checkpoint, set up once: `bench attack` repeats it, `bench paced`
/// runs it on request. Real Fashion-MNIST test images, eps 0.1, pruning off (the work does not depend
/// on epsilon then).
public struct AttackBenchStep {
    public let run: () -> Void

    public init(model name: String, attack: String, steps: Int, batchSize: Int, context: ExecutionContext,
                modelsDirectory: String) throws {
        let model = try loadModel(name, dataset: "fashion-mnist", modelsDirectory: modelsDirectory)
        let dataset = try DatasetCatalog.load("fashion-mnist", directory: nil, split: .test)
        guard model.inputShape == InputShape.fashionMNIST, model.classes == 10 else {
            throw ToolError.usage("bench attack runs on Fashion-MNIST test images (1x28x28, 10 classes); model \(name) takes \(model.inputShape) with \(model.classes) classes")
        }
        guard batchSize <= dataset.count else {
            throw ToolError.usage("--batch-size \(batchSize) is more than the \(dataset.count) Fashion-MNIST test images; use at most \(dataset.count)")
        }
        let batch = dataset.batches(indices: Array(0..<batchSize), batchSize: batchSize)[0]
        let classifier = model.makeClassifier(context: context)
        let instance = try AttackRegistry.make(attack, options: AttackOptions(steps: steps))
        let attackContext = AttackContext(eps: 0.1, seed: 0, indices: batch.indices, prune: false)
        run = { _ = instance.perturb(classifier, x: batch.x, labels: batch.labels, targets: nil, context: attackContext) }
    }
}

/// Measures an attack's images per second over `runs` batches after a warm-up.
public func benchAttack(model name: String, attack: String, steps: Int, batchSize: Int, context: ExecutionContext, runs: Int,
                        modelsDirectory: String) throws -> AttackBenchResult {
    let step = try AttackBenchStep(model: name, attack: attack, steps: steps, batchSize: batchSize, context: context,
                                   modelsDirectory: modelsDirectory)
    let times = measure(runs: runs, step.run)
    let speeds = times.map { Double(batchSize) / $0 }.sorted()
    return AttackBenchResult(model: name, attack: attack, steps: steps, batch_size: batchSize, threads: context.threads, runs: runs,
                             images_per_second_median: speeds[speeds.count / 2], images_per_second_min: speeds.first!,
                             images_per_second_max: speeds.last!, peak_rss_mib: peakResidentMiB())
}

/// The process's peak resident set size in MiB (Linux reports ru_maxrss in KiB).
public func peakResidentMiB() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(0), &usage) // 0 is RUSAGE_SELF; ru_maxrss in KiB
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / (1024 * 1024) // bytes on Darwin
    #endif
    return Double(usage.ru_maxrss) / 1024
}
