import Dispatch
import Foundation
import XCTest

/// Every option of every subcommand, taken from the CLI's own description (`--experimental-dump-help`,
/// so a new option is covered without editing this test), given hostile values: the process must end
/// by itself with exit 0-3, never a signal (a trap), and a failure must be one line on stderr.
///
/// Each subcommand gets base arguments that make an accepted value cheap (two samples, one epoch,
/// tiny shapes); a value it accepts may do that small amount of work.
final class CLIBoundaryTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let hostileValues = ["0", "-1", "nan", "1e400", "abc", ""]

    func testEveryOptionWithHostileValues() throws {
        let binary = try builtRobustBinary()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("robust-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let models = root.appendingPathComponent("models").path
        func tmp(_ name: String) -> String { work.appendingPathComponent(name).path }

        // Fixtures: a finished run, a shard, raw images for `models logits`.
        let run = try runCommand(binary, ["eval", "--models-dir", models, "--attack", "fgsm", "--samples", "4", "--eps", "0,0.1",
                                          "--no-extra-checks", "--out", tmp("run")])
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertEqual(try runCommand(binary, ["eval", "--models-dir", models, "--attack", "fgsm", "--samples", "4", "--eps", "0.1",
                                               "--no-extra-checks", "--shard", "0/1", "--out", tmp("shard")]).code, 0)
        try Data(count: 784 * 4).write(to: URL(fileURLWithPath: tmp("image.f32")))

        let base: [String: [String]] = [
            "eval": ["--models-dir", models, "--attack", "fgsm", "--samples", "2", "--eps", "0.1", "--no-extra-checks", "--out", tmp("eval")],
            "certify": ["--models-dir", models, "--model", "cnn-fmnist-pgd", "--samples", "2", "--eps", "0.01", "--out", tmp("certify")],
            "gate": [tmp("run"), "--require", "clean>=0"],
            "report": [tmp("run"), "--out", tmp("report")],
            "privacy": ["--models-dir", models, "--model", "mlp", "--members", "train:0:16", "--non-members", "test:0:16", "--attack", "loss",
                        "--out", tmp("privacy")],
            "train": ["--model", "mlp", "--epochs", "1", "--samples", "8", "--batch-size", "8", "--out", tmp("train/m.safetensors")],
            "models list": ["--models-dir", models],
            "models init": ["--architecture", "mlp", "--out", tmp("init.safetensors")],
            "models logits": ["--model", "mlp", "--models-dir", models, "--input", tmp("image.f32"), "--out", tmp("logits.f32")],
            "models record": [tmp("run")],
            "export": ["--model", "mlp", "--models-dir", models, "--onnx", tmp("x.onnx")],
            "merge": [tmp("shard"), "--out", tmp("merged")],
            "bench gemm": ["--shape", "8x8x8", "--runs", "5"],
            "bench conv": ["--shape", "1,1,4,4,1,3,1,1", "--runs", "5"],
            "bench model": ["--model", "mlp", "--batch-size", "2", "--runs", "5"],
            "bench fusion": ["--model", "mlp", "--batch-size", "2", "--runs", "5"],
            "bench attack": ["--model", "mlp", "--models-dir", models, "--steps", "1", "--batch-size", "2", "--runs", "5"],
            "bench paced": ["--model", "mlp", "--models-dir", models, "--steps", "1", "--batch-size", "2"],
            "bench peak": ["--runs", "5"],
        ]

        let dump = try runCommand(binary, ["--experimental-dump-help"])
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var cases: [(String, [String])] = []
        func walk(_ command: [String: Any], _ path: [String]) {
            let name = path.joined(separator: " ")
            for argument in command["arguments"] as? [[String: Any]] ?? [] where argument["kind"] as? String == "option" {
                guard let option = (argument["names"] as? [[String: Any]])?.first?["name"] as? String, option != "help" else { continue }
                XCTAssertNotNil(base[name], "no base arguments for `robust \(name)`: add them so --\(option) is tested")
                for value in Self.hostileValues {
                    cases.append(("robust \(name) --\(option) '\(value)'", path + (base[name] ?? []) + ["--\(option)", value]))
                }
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                if let subName = sub["commandName"] as? String, subName != "help" { walk(sub, path + [subName]) }
            }
        }
        walk(try XCTUnwrap(json["command"] as? [String: Any]), [])
        XCTAssertGreaterThan(cases.count, 400, "every option of every subcommand")

        var failures = [String?](repeating: nil, count: cases.count)
        failures.withUnsafeMutableBufferPointer { out in
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                for i in stride(from: worker, to: cases.count, by: 4) {
                    let (what, arguments) = cases[i]
                    guard let result = try? runCommand(binary, arguments, in: work, timeout: 60) else { out[i] = "\(what): did not start"; continue }
                    if result.signaled {
                        out[i] = result.code == SIGTERM ? "\(what): still running after 60 s"
                            : "\(what): killed by signal \(result.code) (a trap): \(result.stderr.prefix(400))"
                        continue
                    }
                    if !(0...3).contains(result.code) { out[i] = "\(what): exit \(result.code)"; continue }
                    if result.code != 0, !(result.stderr.hasPrefix("robust: ") && result.stderr.filter({ $0 == "\n" }).count == 1) {
                        out[i] = "\(what): exit \(result.code) but stderr is not one line: \(result.stderr.prefix(300))"
                    }
                }
            }
        }
        for failure in failures.compactMap({ $0 }) { XCTFail(failure) }
    }

    /// `train` names the files it wrote, with or without `.safetensors` in `--out` (it printed
    /// `m.safetensors.safetensors` for `--out m.safetensors`).
    func testTrainNamesTheFilesItWrote() throws {
        let binary = try builtRobustBinary()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("train-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for out in ["\(folder)/a.safetensors", "\(folder)/b"] {
            let result = try runCommand(binary, ["train", "--model", "mlp", "--epochs", "1", "--samples", "8", "--batch-size", "8",
                                                 "--threads", "1", "--out", out])
            XCTAssertEqual(result.code, 0, result.stderr)
            let stem = out.hasSuffix(".safetensors") ? String(out.dropLast(".safetensors".count)) : out
            XCTAssertTrue(result.stdout.hasPrefix("wrote \(stem).safetensors and \(stem).json: mlp, "), result.stdout)
            for file in [stem + ".safetensors", stem + ".json"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: file), file)
            }
        }
    }

    /// `bench peak --json` is one JSON object whose figures scripts/compare_torch_speed.py reads: positive
    /// GFLOP/s, the peak present exactly when the kernel has a probe (AVX-512), min <= median <= max.
    func testBenchPeakJSON() throws {
        let result = try runCommand(try builtRobustBinary(), ["bench", "peak", "--runs", "5", "--json"])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertEqual(result.stdout.filter { $0 == "\n" }.count, 1, result.stdout)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let kernel = try XCTUnwrap(object["kernel"] as? String)
        var prefixes = ["microkernel_gflops"]
        if kernel.hasPrefix("avx512") { prefixes.append("peak_gflops") } else { XCTAssertNil(object["peak_gflops_median"]) }
        for prefix in prefixes {
            let low = try XCTUnwrap(object[prefix + "_min"] as? Double), median = try XCTUnwrap(object[prefix + "_median"] as? Double)
            let high = try XCTUnwrap(object[prefix + "_max"] as? Double)
            XCTAssertTrue(0 < low && low <= median && median <= high, "\(prefix): \(low) \(median) \(high)")
        }
    }

    /// `bench paced` answers each case line with the seconds of one batch, and refuses an unknown line;
    /// `bench attack` refuses more images than the test set has (it trapped on the index before).
    func testBenchPacedProtocolAndBatchLimits() throws {
        let binary = try builtRobustBinary()
        let models = root.appendingPathComponent("models").path
        let paced = ["bench", "paced", "--model", "mlp", "--models-dir", models, "--steps", "1", "--batch-size", "2", "--threads", "1"]
        let answered = try runCommand(binary, paced, input: "train\ninference\nattack\n\ntrain\n")
        XCTAssertEqual(answered.code, 0, answered.stderr)
        let lines = answered.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "ready")
        let seconds = lines.dropFirst().compactMap { Double($0) }
        XCTAssertEqual(seconds.count, 3, "one figure per case line, none after the empty line: \(answered.stdout)")
        XCTAssertTrue(seconds.allSatisfy { $0 > 0 && $0 < 60 }, "\(seconds)")

        let refused = try runCommand(binary, paced, input: "bogus\n")
        XCTAssertEqual(refused.code, 2)
        XCTAssertTrue(refused.stderr.hasPrefix("robust: unknown case 'bogus'"), refused.stderr)

        let tooMany = try runCommand(binary, ["bench", "attack", "--model", "mlp", "--models-dir", models, "--steps", "1",
                                              "--batch-size", "10001", "--runs", "5"])
        XCTAssertEqual(tooMany.code, 2)
        XCTAssertTrue(tooMany.stderr.contains("more than the 10000 Fashion-MNIST test images"), tooMany.stderr)
    }
}
