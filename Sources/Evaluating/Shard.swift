import Foundation
import Metrics
import Models
import Workflow

/// Which shard of a run to evaluate, as asked for by `--shard I/N` or by a batch system's environment.
///
/// A shard is a contiguous block of the selected samples' positions (`ShardInfo.positions`): every
/// record depends only on (seed, sample index, attack, restart, ε), so the shards' records are the
/// single run's, split.
public struct ShardRequest: Equatable, Sendable {
    public var index: Int
    public var count: Int
    /// `--shard`, `JOB_COMPLETION_INDEX` or `SLURM_ARRAY_TASK_ID`.
    public var source: String

    public init(index: Int, count: Int, source: String) throws {
        guard count >= 1, (0..<count).contains(index) else {
            throw ToolError.usage("shard \(index) of \(count) from \(source): the shard must be 0..<count and the count at least 1")
        }
        (self.index, self.count, self.source) = (index, count, source)
    }

    /// `I/N` as `--shard` takes it (0-based I).
    public static func parse(_ text: String) throws -> ShardRequest {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw ToolError.usage("--shard must be I/N, e.g. 0/4 for the first of four shards (got '\(text)')")
        }
        return try ShardRequest(index: i, count: n, source: "--shard")
    }

    /// The shard a batch system assigned, or nil outside one: a Kubernetes Indexed Job's
    /// `JOB_COMPLETION_INDEX` (the count from `--shards`), or a Slurm array task
    /// `SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN` of `SLURM_ARRAY_TASK_COUNT` (or `--shards`).
    public static func fromEnvironment(_ environment: [String: String], shards: Int?) throws -> ShardRequest? {
        func number(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ToolError.usage("\(name)=\(text) is not a number; unset it or pass --shard I/N")
            }
            return value
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            guard let shards else {
                throw ToolError.usage("JOB_COMPLETION_INDEX=\(index) is set (a Kubernetes Indexed Job) but --shards N is not; pass the Job's completions as --shards")
            }
            return try ShardRequest(index: index, count: shards, source: "JOB_COMPLETION_INDEX")
        }
        if let task = try number("SLURM_ARRAY_TASK_ID") {
            let first = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            guard let count = try shards ?? number("SLURM_ARRAY_TASK_COUNT") else {
                throw ToolError.usage("SLURM_ARRAY_TASK_ID=\(task) is set but neither SLURM_ARRAY_TASK_COUNT nor --shards; pass --shards N")
            }
            return try ShardRequest(index: task - first, count: count, source: "SLURM_ARRAY_TASK_ID")
        }
        if let shards { throw ToolError.usage("--shards \(shards) without a shard index: pass --shard I/\(shards), or run it as a Kubernetes Indexed Job or Slurm array task") }
        return nil
    }

    /// What the shard's results.json records, for a selection of global sample indices.
    func info(selection: [Int], examplesPerAttack: Int) throws -> ShardInfo {
        guard count <= selection.count else {
            throw ToolError.usage("\(count) shards for \(selection.count) samples: every shard needs at least one sample; use fewer shards")
        }
        return ShardInfo(index: index, count: count, source: source, selectionCount: selection.count,
                         selectionDigest: selectionDigest(selection), firstPosition: ShardInfo.positions(index: index, count: count, total: selection.count).lowerBound,
                         examplesPerAttack: examplesPerAttack)
    }
}

/// SHA-256 of global sample indices, one decimal per line: what ties shards to one selection.
func selectionDigest(_ indices: [Int]) -> String {
    sha256Hex(Data(indices.map { "\($0)\n" }.joined().utf8))
}
