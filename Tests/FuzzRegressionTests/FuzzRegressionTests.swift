import _FuzzTargets
import Foundation
import XCTest

/// Replays every fuzz seed and every saved finding (`Tests/Fixtures/fuzz/TARGET/`) through the
/// harness `make fuzz` ran: each must end in a value or one error line, never a trap.
final class FuzzRegressionTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    private func files(in folder: String) -> [String] {
        let path = Self.packageRoot + "/" + folder
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { path + "/" + $0 }
    }

    private func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "/fuzz-replay-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testEveryTargetHasSeeds() {
        for target in FuzzTarget.all {
            let seeds = target.seeds.flatMap(files(in:))
            XCTAssertFalse(seeds.isEmpty, "\(target.name): no seed files in \(target.seeds)")
        }
    }

    /// The valid seeds decode; the near-misses are refused with one line (the harness traps otherwise).
    func testSeedsReplay() throws {
        let scratch = try scratch()
        var accepted: [String: Int] = [:]
        for target in FuzzTarget.all {
            for path in target.seeds.flatMap(files(in:)) {
                let data = try XCTUnwrap(FileManager.default.contents(atPath: path))
                if target.run([UInt8](data), scratch: scratch) == nil { accepted[target.name, default: 0] += 1 }
            }
        }
        // Each target accepts at least one of its seeds, so the harness reaches past the first check.
        for target in FuzzTarget.all {
            XCTAssertGreaterThan(accepted[target.name] ?? 0, 0, "\(target.name): no seed accepted")
        }
    }

    /// Every input a fuzzer once crashed on is now refused with one line (or accepted).
    func testFindingsReplay() throws {
        let scratch = try scratch()
        var replayed = 0
        for target in FuzzTarget.all {
            for path in files(in: "Tests/Fixtures/fuzz/" + target.name) {
                let data = try XCTUnwrap(FileManager.default.contents(atPath: path))
                _ = target.run([UInt8](data), scratch: scratch)
                replayed += 1
            }
        }
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: Self.packageRoot + "/Tests/Fixtures/fuzz")) ?? []
        for folder in folders where folder != "README.md" {
            XCTAssertNotNil(FuzzTarget.named(folder), "Tests/Fixtures/fuzz/\(folder) names no fuzz target")
        }
        print("replayed \(replayed) saved fuzz findings")
    }
}
