import ArgumentParser
import Foundation
import Harness

/// `robust merge`: shard run folders into the run folder one process would have written.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the shard folders of one evaluation (robust eval --shard I/N, a Slurm array, a Kubernetes Indexed Job) into one run.",
        discussion: """
        Checks that the shards belong together (model SHA-256, dataset, sample selection, attacks and every \
        parameter, seed, tool version) and that each of 0..<N is there exactly once, then writes results.json, \
        curve.csv, samples.csv and index.html as one run would (timings are the shards' sums).

        Example: robust merge reports/run/shard-0 reports/run/shard-1 reports/run/shard-2 --out reports/run/merged
        """
    )

    @Argument(help: ArgumentHelp("Shard run folders (or their results.json).", valueName: "shard"))
    var shards: [String]

    @Option(help: "Folder for the merged run.")
    var out: String

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("give the shard folders to merge") }
    }

    func run() throws {
        try prepareRunFolder(out)
        let parts = try shards.map { path -> (path: String, results: RunResults) in
            do { return (path, try RunResults.load(path: RunResults.resultsPath(for: path))) } catch {
                throw ToolError.badInput("\(error)")
            }
        }
        let merged = try mergeShards(parts)
        try writeRun(merged, to: out)
        print(CurveTable.render(merged))
        print("merged \(parts.count) shards (\(merged.dataset.indices.count) samples) into \(out)/results.json, curve.csv, samples.csv and index.html")
    }
}
