import Foundation
import Models
import XCTest

/// The ONNX entry points of the built `robust` binary: `models --inspect`, `eval --model FILE.onnx`
/// and `export`, with their exit codes (0, 2 usage, 3 bad input) and one-line stderr.
final class ONNXCommandTests: XCTestCase {
    var directory: URL!
    /// The package root, so `models/` resolves whatever the test's working directory.
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("robust-onnx-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func robust(_ arguments: [String]) throws -> CommandResult {
        try runCommand(try builtRobustBinary(), arguments, in: directory)
    }

    /// stderr is exactly one line starting `robust: ` and containing every fragment.
    func assertOneLine(_ stderr: String, _ fragments: [String] = [], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(stderr.hasPrefix("robust: "), stderr, file: file, line: line)
        XCTAssertTrue(stderr.hasSuffix("\n"), stderr, file: file, line: line)
        XCTAssertEqual(stderr.filter { $0 == "\n" }.count, 1, "not one line: \(stderr)", file: file, line: line)
        XCTAssertFalse(stderr.contains("\r"), stderr, file: file, line: line)
        for fragment in fragments { XCTAssertTrue(stderr.contains(fragment), "'\(fragment)' not in: \(stderr)", file: file, line: line) }
    }

    static let validData: Data = {
        try! Model(architecture: "cnn", dataset: "fashion-mnist", inputShape: .fashionMNIST,
                   classNames: (0..<10).map(String.init), seed: 1).onnxData(producerVersion: "test")
    }()

    /// The valid export with every `Relu` op renamed `Relz` (same length, so the protobuf stays well formed).
    static var unknownOpData: Data {
        var bytes = [UInt8](validData)
        let relu = Array("Relu".utf8)
        var replaced = 0
        for i in 0...(bytes.count - relu.count) where Array(bytes[i..<i + relu.count]) == relu {
            bytes[i + 3] = UInt8(ascii: "z")
            replaced += 1
        }
        precondition(replaced > 0)
        return Data(bytes)
    }

    func write(_ data: Data, _ name: String) throws -> String {
        try data.write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    func testInspect() throws {
        let good = try write(Self.validData, "good.onnx")
        let ok = try robust(["models", "--inspect", good])
        XCTAssertEqual(ok.code, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.contains("imports     yes"), ok.stdout)
        XCTAssertTrue(ok.stdout.contains("producer    robust test"), ok.stdout)
        XCTAssertEqual(ok.stderr, "")

        let truncated = try write(Self.validData.prefix(Self.validData.count / 2), "truncated.onnx")
        let bad = try robust(["models", "--inspect", truncated])
        XCTAssertEqual(bad.code, 3, bad.stderr)
        assertOneLine(bad.stderr, [truncated, "is not an ONNX model", "check that the file is complete"])

        // A file robust describes but cannot import: the summary on stdout, then exit 3 with the reason.
        let unknown = try write(Self.unknownOpData, "relz.onnx")
        let described = try robust(["models", "--inspect", unknown])
        XCTAssertEqual(described.code, 3, described.stderr)
        XCTAssertTrue(described.stdout.contains("Relz 3"), described.stdout)
        XCTAssertTrue(described.stdout.contains("imports     no"), described.stdout)
        assertOneLine(described.stderr, [unknown, "op 'Relz' is not supported", "supported: Add"])

        let missing = try robust(["models", "--inspect", path("nope.onnx")])
        XCTAssertEqual(missing.code, 3, missing.stderr)
        assertOneLine(missing.stderr, ["no such file"])
    }

    func testEvalOfAnUnimportableModelWritesNothing() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") else {
            throw XCTSkip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
        }
        let unknown = try write(Self.unknownOpData, "relz.onnx")
        let out = path("run")
        let result = try robust(["eval", "--model", unknown, "--attack", "fgsm", "--samples", "10", "--out", out])
        XCTAssertEqual(result.code, 3, result.stderr)
        assertOneLine(result.stderr, [unknown, "op 'Relz' is not supported"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written into --out")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("reports")), "no default report folder either")

        // A hostile node name cannot split the message into several lines: the first node name
        // `Relz_N` (field 3 of NodeProto, tag 0x1a) becomes `Relz` newline `N`.
        var bytes = [UInt8](Self.unknownOpData)
        let name = Array("Relz_".utf8)
        let at = try XCTUnwrap((2...(bytes.count - name.count)).first { Array(bytes[$0..<$0 + name.count]) == name && bytes[$0 - 2] == 0x1a })
        bytes[at + 4] = UInt8(ascii: "\n")
        let newline = try write(Data(bytes), "newline.onnx")
        let split = try robust(["eval", "--model", newline, "--attack", "fgsm", "--samples", "10", "--out", out])
        XCTAssertEqual(split.code, 3, split.stderr)
        assertOneLine(split.stderr, [newline, "node 'Relz\\n"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testInputConventionsAreForONNXOnly() throws {
        let out = path("run")
        let result = try robust(["eval", "--model", "cnn", "--models-dir", packageRoot.appendingPathComponent("models").path,
                                 "--input-scale", "255", "--attack", "fgsm", "--samples", "10", "--out", out])
        XCTAssertEqual(result.code, 2, result.stderr)
        assertOneLine(result.stderr, ["--input-scale, --mean and --std apply to ONNX models only"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        let mean = try robust(["eval", "--model", "cnn", "--models-dir", packageRoot.appendingPathComponent("models").path,
                               "--mean", "0.5", "--attack", "fgsm", "--samples", "10", "--out", out])
        XCTAssertEqual(mean.code, 2, mean.stderr)
        assertOneLine(mean.stderr)
    }

    func testExport() throws {
        let models = packageRoot.appendingPathComponent("models").path
        let text = try robust(["export", "--model", "cnn", "--models-dir", models, "--onnx", path("x.txt")])
        XCTAssertEqual(text.code, 2, text.stderr)
        assertOneLine(text.stderr, ["--onnx must end in .onnx"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.txt")))

        let target = path("cnn.onnx")
        let ok = try robust(["export", "--model", "cnn", "--models-dir", models, "--onnx", target])
        XCTAssertEqual(ok.code, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.hasPrefix("wrote \(target) ("), ok.stdout)
        let imported = try ONNXModel.load(path: target)
        XCTAssertEqual(imported.classes, 10)
        XCTAssertEqual(imported.inputShape, .fashionMNIST)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["cnn.onnx"], "no temporary file left")

        let inspect = try robust(["models", "--inspect", target])
        XCTAssertEqual(inspect.code, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("imports     yes"), inspect.stdout)

        let unknown = try robust(["export", "--model", "no-such-model", "--models-dir", models, "--onnx", path("y.onnx")])
        XCTAssertEqual(unknown.code, 2, unknown.stderr)
        assertOneLine(unknown.stderr)
    }
}
