import Foundation
import Models
import NN
import XCTest
import _TestSupport

final class CheckpointTests: XCTestCase {
    let classNames = (0..<10).map { "class\($0)" }
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("robust-models-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A resnet-lite whose buffers are not their initial values, so a round trip proves they travel.
    func trainedLookingModel(seed: UInt64 = 3) throws -> Model {
        let model = try Model(architecture: "resnet-lite", dataset: "fashion-mnist", inputShape: .fashionMNIST, classNames: classNames, seed: seed)
        for (i, (name, parameter)) in model.network.namedBuffers().enumerated() {
            if name.hasSuffix("num_batches_tracked") {
                parameter.value = Tensor(shape: [], storage: [Float(1000 + i)])
            } else {
                let noise = randomTensor(parameter.value.shape, seed: UInt64(i))
                parameter.value = Tensor(shape: noise.shape, storage: noise.storage.map { name.hasSuffix("running_var") ? 1 + abs($0) : $0 })
            }
        }
        return model
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Saves a model, lets `edit` change its tensors, rewrites the file and re-signs the card,
    /// so the load gets past the SHA-256 check to the check under test.
    func savedAndEdited(_ edit: (inout SafeTensors.File) -> Void) throws -> String {
        let file = path("edited.safetensors")
        try trainedLookingModel().save(to: file, toolVersion: "test")
        var state = try SafeTensors.read(path: file)
        edit(&state)
        try resign(file, with: SafeTensors.encode(state))
        return file
    }

    /// Writes `data` as the checkpoint and puts its SHA-256 in the card.
    func resign(_ file: String, with data: Data) throws {
        try data.write(to: URL(fileURLWithPath: file))
        var card = try ModelCard.read(path: ModelCard.path(forCheckpoint: file))
        card.sha256 = sha256Hex(data)
        try card.write(to: ModelCard.path(forCheckpoint: file))
    }

    func assertLoadFails(_ file: String, mentioning parts: [String], line: UInt = #line) {
        XCTAssertThrowsError(try Model.load(path: file), line: line) { error in
            XCTAssertTrue(error is CheckpointError, "\(type(of: error)): \(error)", line: line)
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", line: line)
            for part in parts { XCTAssertTrue(message.contains(part), "'\(part)' not in: \(message)", line: line) }
        }
    }

    func testRoundTripIsBitExactAndGivesTheSameLogits() throws {
        let model = try trainedLookingModel()
        let file = path("resnet-lite-fmnist.safetensors")
        let card = try model.save(to: file, trainingRecipe: ["optimizer": "sgd", "lr": 0.1, "epochs": 3], cleanTestAccuracy: 0.5, toolVersion: "test")
        let loaded = try Model.load(path: file)

        let before = model.network.namedState(), after = loaded.network.namedState()
        XCTAssertEqual(before.map(\.name), after.map(\.name))
        for (a, b) in zip(before, after) {
            XCTAssertEqual(a.parameter.value.shape, b.parameter.value.shape, a.name)
            XCTAssertEqual(a.parameter.value.storage.map(\.bitPattern), b.parameter.value.storage.map(\.bitPattern), a.name)
        }
        let x = randomTensor([4, 1, 28, 28], seed: 9)
        XCTAssertEqual(loaded.logits(x).storage.map(\.bitPattern), model.logits(x).storage.map(\.bitPattern))
        XCTAssertEqual(loaded.architecture, "resnet-lite")
        XCTAssertEqual(loaded.classNames, classNames)
        XCTAssertEqual(loaded.preprocessing, Preprocessing(mean: [0.2860], std: [0.3530]))
        XCTAssertEqual(card.parameterCount, 174_970)
        XCTAssertEqual(try ModelCard.read(path: path("resnet-lite-fmnist.json")), card)
    }

    func testCounterIsStoredAsInt64ScalarAndFloatsAsF32() throws {
        let model = try trainedLookingModel()
        let state = model.stateFile()
        guard case .i64(let shape, let values)? = state.entries["bn1.num_batches_tracked"] else {
            return XCTFail("num_batches_tracked must be I64: \(String(describing: state.entries["bn1.num_batches_tracked"]))")
        }
        XCTAssertEqual(shape, [])
        XCTAssertEqual(values.count, 1)
        guard case .f32(let weight)? = state.entries["conv1.weight"] else { return XCTFail("conv1.weight must be F32") }
        XCTAssertEqual(weight.shape, [16, 1, 3, 3])
    }

    func testCardIsPrettySortedJSONWithTheFileHash() throws {
        let file = path("cnn-fmnist.safetensors")
        let model = try Model(architecture: "cnn", dataset: "fashion-mnist", inputShape: .fashionMNIST, classNames: classNames, seed: 1)
        try model.save(to: file, trainingRecipe: ["optimizer": "adam", "seed": 1], toolVersion: "9.9.9")
        let text = try String(contentsOfFile: path("cnn-fmnist.json"), encoding: .utf8)
        let keys = ["\"architecture\"", "\"class_names\"", "\"classes\"", "\"dataset\"", "\"input_shape\"", "\"parameter_count\"",
                    "\"preprocessing\"", "\"sha256\"", "\"tool_version\"", "\"training_recipe\""]
        let positions = keys.map { text.range(of: "\n  \($0)")?.lowerBound }
        XCTAssertFalse(positions.contains(nil), text)
        XCTAssertEqual(positions.compactMap { $0 }, positions.compactMap { $0 }.sorted(), "keys sorted")
        XCTAssertFalse(text.contains("clean_test_accuracy"), "absent until measured")
        let data = try XCTUnwrap(FileManager.default.contents(atPath: file))
        XCTAssertTrue(text.contains("\"sha256\" : \"\(sha256Hex(data))\""), text)
        XCTAssertTrue(text.contains("\"tool_version\" : \"9.9.9\""), text)
    }

    func testSHA256MatchesTheStandardVector() {
        XCTAssertEqual(sha256Hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testMissingTensorIsNamed() throws {
        let file = try savedAndEdited { $0.entries["layer2.0.downsample.1.running_var"] = nil }
        assertLoadFails(file, mentioning: ["missing 1 tensor", "'layer2.0.downsample.1.running_var'", "resnet-lite"])
    }

    func testUnexpectedTensorIsNamed() throws {
        let file = try savedAndEdited { $0.entries["fc.extra"] = .f32(Tensor(shape: [2])) }
        assertLoadFails(file, mentioning: ["unexpected", "'fc.extra'"])
    }

    func testWrongShapeNamesTensorExpectedAndFound() throws {
        let file = try savedAndEdited { $0.entries["fc.weight"] = .f32(Tensor(shape: [10, 63])) }
        assertLoadFails(file, mentioning: ["'fc.weight'", "has shape [10, 63]", "expects [10, 64]"])
    }

    func testWrongDtypeIsNamed() throws {
        let counter = try savedAndEdited { $0.entries["bn1.num_batches_tracked"] = .f32(Tensor(shape: [])) }
        assertLoadFails(counter, mentioning: ["'bn1.num_batches_tracked'", "dtype F32, expected I64"])
        let weight = try savedAndEdited { $0.entries["fc.bias"] = .i64(shape: [10], values: Array(repeating: 1, count: 10)) }
        assertLoadFails(weight, mentioning: ["'fc.bias'", "dtype I64, expected F32"])
    }

    func testTruncatedFileIsReported() throws {
        let file = path("truncated.safetensors")
        try trainedLookingModel().save(to: file, toolVersion: "test")
        let data = try XCTUnwrap(FileManager.default.contents(atPath: file))
        try resign(file, with: data.prefix(data.count - 100))
        assertLoadFails(file, mentioning: [file, "truncated"])
    }

    func testSHAMismatchWithTheCard() throws {
        let file = path("tampered.safetensors")
        try trainedLookingModel().save(to: file, toolVersion: "test")
        var data = try XCTUnwrap(FileManager.default.contents(atPath: file))
        data[data.count - 1] ^= 0x01
        try data.write(to: URL(fileURLWithPath: file))
        assertLoadFails(file, mentioning: ["SHA-256 \(sha256Hex(data)) does not match", "tampered.json"])
    }

    func testCardNamingUnknownArchitecture() throws {
        let file = path("odd.safetensors")
        try trainedLookingModel().save(to: file, toolVersion: "test")
        var card = try ModelCard.read(path: path("odd.json"))
        card.architecture = "vgg"
        try card.write(to: path("odd.json"))
        assertLoadFails(file, mentioning: ["odd.json", "unknown architecture 'vgg'", "mlp, cnn, resnet-lite"])
    }

    func testMissingCardAndMissingWeights() throws {
        let file = path("alone.safetensors")
        try trainedLookingModel().save(to: file, toolVersion: "test")
        try FileManager.default.removeItem(atPath: path("alone.json"))
        assertLoadFails(file, mentioning: ["alone.json", "model card not found"])
        assertLoadFails(path("nothing.safetensors"), mentioning: ["nothing.json", "not found"])
    }

    func testFailedLoadLeavesTheModelUnchanged() throws {
        let model = try trainedLookingModel()
        let before = model.network.namedState().map(\.parameter.value)
        var state = try trainedLookingModel(seed: 99).stateFile()
        state.entries["fc.bias"] = .f32(Tensor(shape: [11]))
        XCTAssertThrowsError(try model.loadState(state, source: "mem"))
        XCTAssertEqual(model.network.namedState().map(\.parameter.value), before)
    }
}

extension CheckpointTests {
    func testMalformedCardNamesTheField() throws {
        let file = path("typo.safetensors")
        try trainedLookingModel().save(to: file, toolVersion: "test")
        let card = try String(contentsOfFile: path("typo.json"), encoding: .utf8)
        try card.replacingOccurrences(of: "\"channels\" : 1", with: "\"channels\" : \"one\"").write(toFile: path("typo.json"), atomically: true, encoding: .utf8)
        assertLoadFails(file, mentioning: ["typo.json", "'input_shape.channels' has the wrong type"])
        try card.replacingOccurrences(of: "\"dataset\"", with: "\"data_set\"").write(toFile: path("typo.json"), atomically: true, encoding: .utf8)
        assertLoadFails(file, mentioning: ["typo.json", "lacks 'dataset'"])
    }

    func testSavingIntoAMissingDirectoryIsAClearError() throws {
        XCTAssertThrowsError(try trainedLookingModel().save(to: path("no/such/dir/x.safetensors"), toolVersion: "test")) {
            XCTAssertTrue("\($0)".contains("does not exist; create it first"), "\($0)")
        }
    }
}
