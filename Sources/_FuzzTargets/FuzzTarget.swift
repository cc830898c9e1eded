import Datasets
import Foundation
import Harness
import Metrics
import Models

/// One input format robust reads from users, as a fuzzing entry point: bytes in, a decoded value
/// or a thrown error out. A crash, a hang, a sanitizer report or a multi-line error is a finding.
///
/// The table is shared by `robust-fuzz` (libFuzzer's driver, or replay of saved inputs) and by
/// `FuzzRegressionTests`, which replays every saved finding in `Tests/Fixtures/fuzz/TARGET/`.
public struct FuzzTarget: Sendable {
    public let name: String
    /// What the input is, for `robust-fuzz --list` and the README's table.
    public let input: String
    /// Folders (from the package root) whose files seed the corpus.
    public let seeds: [String]
    let body: @Sendable (_ bytes: [UInt8], _ scratch: String) throws -> Void

    /// Runs one input. Returns the line the CLI would print when the input was refused.
    /// Traps when that line would say nothing: that is a finding too.
    public func run(_ bytes: [UInt8], scratch: String) -> String? {
        do {
            try body(bytes, scratch)
            return nil
        } catch {
            let line = singleLine("\(error)")
            precondition(line.count >= 8, "\(name): an error must say what is wrong, got \(line.debugDescription)")
            return line
        }
    }

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    /// Every target, in the README's order.
    public static let all: [FuzzTarget] = [
        FuzzTarget(name: "idx", input: "IDX image and label files (plain)", seeds: ["Tests/Fixtures/fuzz-seeds/idx"]) { bytes, _ in
            // The magic's last byte says how many dimensions; try the two robust reads.
            _ = try? decodeIDX(bytes, path: "fuzz.idx", expectedDims: 1)
            _ = try decodeIDX(bytes, path: "fuzz.idx", expectedDims: 3)
        },
        FuzzTarget(name: "idx-gzip", input: "IDX files, gzip'd (zlib inflate, size limit)", seeds: ["Tests/Fixtures/fuzz-seeds/idx-gzip"]) { bytes, _ in
            // Always a gzip stream: keep the magic so mutations reach inflate, not the plain parser.
            let stream = [0x1F, 0x8B] + bytes.dropFirst(min(2, bytes.count))
            _ = try decodeIDX(stream, path: "fuzz.idx.gz", expectedDims: 3)
        },
        FuzzTarget(name: "png", input: "PNG images (libpng, size limit)", seeds: ["Tests/Fixtures/fuzz-seeds/png"]) { bytes, _ in
            _ = try decodePNG(bytes, path: "fuzz.png")
        },
        FuzzTarget(name: "jpeg", input: "JPEG images (libjpeg-turbo's TurboJPEG)", seeds: ["Tests/Fixtures/fuzz-seeds/jpeg"]) { bytes, _ in
            _ = try decodeJPEG(bytes, path: "fuzz.jpg")
        },
        FuzzTarget(name: "cifar", input: "CIFAR-10 binary records", seeds: ["Tests/Fixtures/fuzz-seeds/cifar"]) { bytes, _ in
            var pixels: [UInt8] = [], labels: [Int] = []
            try Dataset.parseCIFARRecords(bytes, path: "fuzz.bin", pixels: &pixels, labels: &labels)
        },
        FuzzTarget(name: "safetensors", input: "checkpoints (.safetensors header, offsets, dtypes, then loaded into the zoo cnn)",
                   seeds: ["Tests/Fixtures/fuzz-seeds/safetensors"]) { bytes, _ in
            let file = try SafeTensors.decode(Data(bytes), source: "fuzz.safetensors")
            let model = try Model(architecture: "cnn", dataset: "fashion-mnist", inputShape: InputShape(channels: 1, height: 28, width: 28),
                                  classNames: Dataset.fashionMNISTClassNames, seed: 0)
            // The seeds are not cnn checkpoints (1.7 MB is too large to mutate); refusals of their names and
            // shapes are expected, so only a trap counts here.
            _ = try? model.loadState(file, source: "fuzz.safetensors")
        },
        FuzzTarget(name: "onnx", input: "ONNX models (protobuf, graph import, then one forward pass)",
                   seeds: ["Tests/Fixtures/onnx"]) { bytes, scratch in
            let path = scratch + "/fuzz.onnx"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let model = try ONNXModel.load(path: path)
            let shape = model.inputShape
            // A forward pass reaches the layers' own shape checks; small inputs only, to stay fast.
            guard shape.channels * shape.height * shape.width <= 1 << 14 else { return }
            let x = Tensor(shape: [1, shape.channels, shape.height, shape.width], repeating: 0.5)
            let logits = model.makeNetwork().forward(x, context: ExecutionContext.serial())
            precondition(logits.shape == [1, model.classes], "onnx: logits \(logits.shape), import promised [1, \(model.classes)]")
        },
        FuzzTarget(name: "suite", input: "attack suites (YAML)", seeds: ["attacks"]) { bytes, _ in
            _ = try Suite.parse(yaml: String(decoding: bytes, as: UTF8.self), source: "fuzz.yaml")
        },
        FuzzTarget(name: "gate", input: "gate files (YAML)", seeds: ["Tests/Fixtures/fuzz-seeds/gate"]) { bytes, _ in
            let config = try GateConfig.parse(yaml: String(decoding: bytes, as: UTF8.self), source: "fuzz-gate.yaml")
            try config.validate()
        },
        FuzzTarget(name: "eps", input: "--eps grids (lists, ranges, fractions)", seeds: ["Tests/Fixtures/fuzz-seeds/eps"]) { bytes, _ in
            _ = try Epsilon.parseGrid(String(decoding: bytes, as: UTF8.self), maximum: 1)
            _ = try Epsilon.parseGrid(String(decoding: bytes, as: UTF8.self), maximum: 1000)
        },
        FuzzTarget(name: "requirement", input: "gate requirements (--require)", seeds: ["Tests/Fixtures/fuzz-seeds/requirement"]) { bytes, _ in
            _ = try GateRequirement.parse(String(decoding: bytes, as: UTF8.self))
        },
    ]
}
