import Foundation
import Harness
import Metrics
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Shards, merge and resume, end to end through the built binary: the pieces of a run, wherever and
/// however often they ran, give the bytes of one uninterrupted run.
final class ShardTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("robust-shards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    var evalArguments: [String] {
        ["eval", "--model", "cnn", "--models-dir", packageRoot.appendingPathComponent("models").path, "--attack", "fgsm",
         "--attack", "pgd", "--steps", "5", "--eps", "0,0.03,0.1", "--samples", "240", "--seed", "7", "--batch-size", "32"]
    }

    func robust(_ arguments: [String]) throws -> CommandResult {
        try runCommand(try builtRobustBinary(), arguments, in: directory)
    }

    func file(_ run: String, _ name: String) throws -> String {
        try String(contentsOfFile: path(run) + "/" + name, encoding: .utf8)
    }

    /// curve.csv without its last column (seconds: timing, the one thing shards cannot reproduce).
    func curveWithoutTimes(_ run: String) throws -> String {
        try file(run, "curve.csv").split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") }.joined(separator: "\n")
    }

    func testFourShardProcessesMergeToOneRun() throws {
        let single = try robust(evalArguments + ["--out", path("single")])
        XCTAssertEqual(single.code, 0, single.stderr)
        for i in 0..<4 {
            let shard = try robust(evalArguments + ["--shard", "\(i)/4", "--out", path("shard-\(i)")])
            XCTAssertEqual(shard.code, 0, shard.stderr)
        }
        let shard2 = try RunResults.load(path: path("shard-2") + "/results.json")
        XCTAssertEqual(shard2.shard?.index, 2)
        XCTAssertEqual(shard2.shard?.count, 4)
        XCTAssertEqual(shard2.dataset.indices, Array(120..<180))
        let merge = try robust(["merge", path("shard-3"), path("shard-1"), path("shard-0"), path("shard-2"), "--out", path("merged")])
        XCTAssertEqual(merge.code, 0, merge.stderr)
        XCTAssertEqual(try file("merged", "samples.csv"), try file("single", "samples.csv"))
        XCTAssertEqual(try curveWithoutTimes("merged"), try curveWithoutTimes("single"))
        let (a, b) = (try RunResults.load(path: path("single") + "/results.json"), try RunResults.load(path: path("merged") + "/results.json"))
        XCTAssertEqual(a.checks, b.checks, "the validity checks (extra checks included) come out the same")
        XCTAssertEqual(a.examples, b.examples)
        XCTAssertNil(b.shard)

        // Incomplete or mismatched sets: exit 3 and one line naming the problem.
        let missing = try robust(["merge", path("shard-0"), path("shard-1"), path("shard-3"), "--out", path("bad")])
        XCTAssertEqual(missing.code, 3)
        XCTAssertTrue(missing.stderr.contains("shard 2 of 4 missing"), missing.stderr)
        XCTAssertEqual(missing.stderr.filter { $0 == "\n" }.count, 1, missing.stderr)
        let twice = try robust(["merge", path("shard-0"), path("shard-0"), "--out", path("bad")])
        XCTAssertEqual(twice.code, 3)
        XCTAssertTrue(twice.stderr.contains("given twice"), twice.stderr)
        var otherSeed = evalArguments
        otherSeed[otherSeed.firstIndex(of: "7")!] = "8"
        XCTAssertEqual(try robust(otherSeed + ["--shard", "3/4", "--out", path("seed8-shard-3")]).code, 0)
        let seeds = try robust(["merge", path("shard-0"), path("shard-1"), path("shard-2"), path("seed8-shard-3"), "--out", path("bad")])
        XCTAssertEqual(seeds.code, 3)
        XCTAssertTrue(seeds.stderr.contains("the seed (7 vs 8)"), seeds.stderr)
        let notShard = try robust(["merge", path("single"), "--out", path("bad")])
        XCTAssertEqual(notShard.code, 3)
        XCTAssertTrue(notShard.stderr.contains("is not a shard"), notShard.stderr)
    }

    func testKilledRunResumesToTheSameBytes() throws {
        let arguments = evalArguments + ["--no-extra-checks", "--batch-size", "8"]
        XCTAssertEqual(try robust(arguments + ["--out", path("whole")]).code, 0)
        // Start, wait for some finished batches in the journal, then SIGKILL.
        let process = Process()
        process.executableURL = try builtRobustBinary()
        process.arguments = arguments + ["--out", path("killed")]
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let journal = path("killed") + "/journal.jsonl"
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning {
            let lines = (try? String(contentsOfFile: journal, encoding: .utf8))?.split(separator: "\n").count ?? 0
            if lines >= 12 { break }
            usleep(2_000)
        }
        XCTAssertTrue(process.isRunning, "the run finished before it could be killed; give it more work")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("killed") + "/samples.csv"), "killed before it wrote anything")
        let resumed = try robust(arguments + ["--out", path("killed"), "--resume"])
        XCTAssertEqual(resumed.code, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming:"), resumed.stderr)
        XCTAssertEqual(try file("killed", "samples.csv"), try file("whole", "samples.csv"))
        XCTAssertEqual(try curveWithoutTimes("killed"), try curveWithoutTimes("whole"))

        // A journal from other flags is refused.
        let other = try robust(arguments.map { $0 == "7" ? "9" : $0 } + ["--out", path("killed"), "--resume"])
        XCTAssertEqual(other.code, 3)
        XCTAssertTrue(other.stderr.contains("another configuration"), other.stderr)
    }

    /// An --out that cannot be written fails at once, before any attack runs.
    func testUnwritableOutputFailsBeforeWork() throws {
        try Data("x".utf8).write(to: directory.appendingPathComponent("a-file"))
        let started = Date()
        let result = try robust(evalArguments + ["--samples", "10000", "--out", path("a-file")])
        XCTAssertEqual(result.code, 3)
        XCTAssertTrue(result.stderr.contains("is a file, not a folder"), result.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "it evaluated before failing")
    }

    func testShardFromEnvironment() throws {
        XCTAssertNil(try ShardRequest.fromEnvironment([:], shards: nil))
        XCTAssertEqual(try ShardRequest.fromEnvironment(["JOB_COMPLETION_INDEX": "2"], shards: 5),
                       try ShardRequest(index: 2, count: 5, source: "JOB_COMPLETION_INDEX"))
        XCTAssertEqual(try ShardRequest.fromEnvironment(["SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_MIN": "10",
                                                         "SLURM_ARRAY_TASK_COUNT": "3"], shards: nil),
                       try ShardRequest(index: 2, count: 3, source: "SLURM_ARRAY_TASK_ID"))
        XCTAssertEqual(try ShardRequest.fromEnvironment(["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"], shards: 4)?.count, 4,
                       "--shards wins over SLURM_ARRAY_TASK_COUNT")
        for (environment, shards) in [(["JOB_COMPLETION_INDEX": "0"], nil), (["JOB_COMPLETION_INDEX": "4"], 4),
                                      (["JOB_COMPLETION_INDEX": "x"], 4), (["SLURM_ARRAY_TASK_ID": "3"], nil),
                                      (["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"], nil),
                                      ([String: String](), 3)] as [([String: String], Int?)] {
            XCTAssertThrowsError(try ShardRequest.fromEnvironment(environment, shards: shards), "\(environment) --shards \(String(describing: shards))")
        }
        XCTAssertEqual(try ShardRequest.parse("3/8"), try ShardRequest(index: 3, count: 8, source: "--shard"))
        for bad in ["8/8", "-1/4", "1/0", "1", "a/b", "1/2/3"] { XCTAssertThrowsError(try ShardRequest.parse(bad), bad) }
        XCTAssertEqual((0..<4).map { ShardInfo.positions(index: $0, count: 4, total: 10) }, [0..<2, 2..<5, 5..<7, 7..<10])
    }
}
