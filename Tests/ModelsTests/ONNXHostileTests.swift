import Foundation
import Models
import NN
import ONNXProto
import XCTest

/// Hostile and broken ONNX files: every one must make `ONNXModel.load` throw an `ONNXError` whose
/// one-line message names the problem (never trap, never read outside the model's folder).
/// Each file starts from a valid export of the zoo cnn and breaks one thing.
final class ONNXHostileTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("robust-onnx-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Helpers

    static let validData: Data = {
        try! Model(architecture: "cnn", dataset: "fashion-mnist", inputShape: .fashionMNIST,
                   classNames: (0..<10).map(String.init), seed: 1).onnxData(producerVersion: "test")
    }()

    func validModel() throws -> Onnx_ModelProto { try Onnx_ModelProto(serializedBytes: Self.validData) }

    @discardableResult
    func write(_ data: Data, _ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    @discardableResult
    func write(_ model: Onnx_ModelProto, _ name: String) throws -> String { try write(try model.serializedData(), name) }

    /// Loads `path`, expecting an `ONNXError` on one line that names the file and contains every one of `fragments`.
    @discardableResult
    func assertRefused(_ path: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) -> ONNXError? {
        do {
            _ = try ONNXModel.load(path: path)
            XCTFail("\(path) loaded; expected an ONNXError containing \(fragments)", file: file, line: line)
            return nil
        } catch let error as ONNXError {
            let message = error.description
            XCTAssertEqual(error.path, path, file: file, line: line)
            XCTAssertTrue(message.hasPrefix("ONNX model \(path): "), message, file: file, line: line)
            XCTAssertFalse(message.contains { $0.isNewline }, "message is not one line: \(message)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(message.contains(fragment), "'\(fragment)' not in: \(message)", file: file, line: line)
            }
            return error
        } catch {
            XCTFail("expected an ONNXError, got \(type(of: error)): \(error)", file: file, line: line)
            return nil
        }
    }

    /// Index of the first node with `op`.
    func node(_ model: Onnx_ModelProto, _ op: String, after: Int = -1) -> Int {
        model.graph.node.indices.first { $0 > after && model.graph.node[$0].opType == op }!
    }

    func initializerIndex(_ model: Onnx_ModelProto, named name: String) -> Int {
        model.graph.initializer.firstIndex { $0.name == name }!
    }

    func floatTensor(_ name: String, dims: [Int64], values: [Float]? = nil) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = 1
        t.dims = dims
        if let values { t.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) } }
        return t
    }

    func intTensor(_ name: String, _ values: [Int64]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = 7
        t.dims = [Int64(values.count)]
        t.int64Data = values
        return t
    }

    func makeNode(_ op: String, _ inputs: [String], _ outputs: [String], name: String,
                  attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = name
        n.input = inputs
        n.output = outputs
        n.attribute = attributes
        return n
    }

    func attribute(_ name: String, int: Int64) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = int
        return a
    }

    func attribute(_ name: String, ints: [Int64]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = ints
        return a
    }

    func attribute(_ name: String, string: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .string
        a.s = Data(string.utf8)
        return a
    }

    func valueInfo(_ name: String, dims: [Int64?]) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType.elemType = 1
        info.type.tensorType.shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if let d { dim.dimValue = d } else { dim.dimParam = "batch" }
            return dim
        }
        return info
    }

    func probe(_ n: Int = 3) -> Tensor {
        var state: UInt64 = 12345
        let values = (0..<n * 784).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        return Tensor(shape: [n, 1, 28, 28], storage: values)
    }

    // MARK: The starting point

    func testValidExportLoads() throws {
        let model = try ONNXModel.load(path: try write(Self.validData, "valid.onnx"))
        XCTAssertEqual(model.classes, 10)
        XCTAssertEqual(model.inputShape, .fashionMNIST)
    }

    // MARK: Not ONNX at all

    func testTruncatedFile() throws {
        let path = try write(Self.validData.prefix(Self.validData.count / 2), "truncated.onnx")
        assertRefused(path, ["is not an ONNX model", "check that the file is complete"])
        // The summary needs the whole file too.
        XCTAssertThrowsError(try ONNXModel.inspect(path: path)) { XCTAssertTrue($0 is ONNXError) }
    }

    func testRandomBytes() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for round in 0..<20 {
            let bytes = (0..<(1000 + 997 * round)).map { _ -> UInt8 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            let path = try write(Data(bytes), "random\(round).onnx")
            let error = assertRefused(path, [])
            let reason = error?.reason ?? ""
            XCTAssertTrue(reason.contains("is not an ONNX model") || reason.contains("holds no graph"), reason)
        }
    }

    func testEmptyFile() throws {
        assertRefused(try write(Data(), "empty.onnx"), ["holds no graph", "re-export"])
    }

    func testMissingFileAndDirectory() throws {
        assertRefused(directory.appendingPathComponent("nope.onnx").path, ["no such file"])
        assertRefused(directory.path, ["no such file"])
        assertRefused("/dev/zero", ["not a regular file"])
    }

    /// A Gemm weight with a zero dimension would build a Linear of 0 outputs (a precondition): refused at load.
    func testZeroSizedWeight() throws {
        var model = try validModel()
        let gemm = node(model, "Gemm")
        for (i, dims) in [(1, [Int64(0), 3136]), (2, [Int64(0)])] {
            let at = initializerIndex(model, named: model.graph.node[gemm].input[i])
            model.graph.initializer[at] = floatTensor(model.graph.initializer[at].name, dims: dims, values: [])
        }
        assertRefused(try write(model, "zero.onnx"), ["'\(model.graph.node[gemm].name)'", "empty activation"])
    }

    /// A Pad of 60,000 pixels a side would ask for 3.6e9 floats per image at run time: refused at load.
    func testActivationBomb() throws {
        var model = try validModel()
        let first = node(model, "Conv")
        model.graph.initializer.append(intTensor("bomb_pads", [0, 0, 60_000, 60_000, 0, 0, 60_000, 60_000]))
        let input = model.graph.node[first].input[0]
        model.graph.node.insert(makeNode("Pad", [input, "bomb_pads"], ["padded"], name: "bomb"), at: first)
        model.graph.node[first + 1].input[0] = "padded"
        assertRefused(try write(model, "bomb.onnx"), ["'bomb'", "over 67108864 elements per image"])
    }

    // MARK: Hostile tensors

    func testHugeDimensions() throws {
        var model = try validModel()
        model.graph.initializer[0] = floatTensor(model.graph.initializer[0].name, dims: [1 << 40, 1 << 40], values: [1, 2, 3])
        let path = try write(model, "huge-dims.onnx")
        assertRefused(path, ["initializer '\(model.graph.initializer[0].name)'", "declares shape [1099511627776, 1099511627776]", "corrupt"])
        XCTAssertNoThrow(try ONNXModel.inspect(path: path), "the summary survives a hostile shape")
    }

    func testNegativeAndOverflowingDimensions() throws {
        var model = try validModel()
        model.graph.initializer[0] = floatTensor(model.graph.initializer[0].name, dims: [-1, 4])
        assertRefused(try write(model, "negative.onnx"), ["declares shape [-1, 4]"])
        model.graph.initializer[0] = floatTensor(model.graph.initializer[0].name, dims: [Int64.max, Int64.max, 2])
        assertRefused(try write(model, "overflow.onnx"), ["declares shape"])
    }

    func testDeclaredTwoGigabyteTensorWithoutData() throws {
        var model = try validModel()
        let name = model.graph.initializer[0].name
        model.graph.initializer[0] = floatTensor(name, dims: [536_870_912], values: [0, 0, 0, 0])
        assertRefused(try write(model, "two-gb.onnx"), ["declares shape [536870912]", "over 268435456 elements"])
        // At the limit (1 GiB declared), the data must be there: nothing is allocated for the declaration.
        model.graph.initializer[0] = floatTensor(name, dims: [268_435_456], values: [1, 2])
        assertRefused(try write(model, "one-gb.onnx"), ["declares 268435456 elements", "holds 2", "truncated or corrupt"])
        model.graph.initializer[0] = floatTensor(name, dims: [268_435_456])
        assertRefused(try write(model, "one-gb-nothing.onnx"), ["declares 268435456 elements", "holds 0"])
    }

    // MARK: Broken graphs

    func testCycle() throws {
        var model = try validModel()
        // relu1 reads relu2's output and conv2 (after relu1) feeds relu2: relu1 -> conv2 -> pool2 -> relu2 -> relu1.
        let relu1 = node(model, "Relu"), relu2 = node(model, "Relu", after: relu1)
        model.graph.node[relu1].input = [model.graph.node[relu2].output[0]]
        assertRefused(try write(model, "cycle.onnx"), ["has a cycle through node", "must be acyclic"])

        var two = try validModel()
        two.graph.node.append(makeNode("Add", ["b_out", "input"], ["a_out"], name: "loop_a"))
        two.graph.node.append(makeNode("Relu", ["a_out"], ["b_out"], name: "loop_b"))
        assertRefused(try write(two, "two-node-cycle.onnx"), ["has a cycle through node 'loop_", "acyclic"])
    }

    func testUnknownOperator() throws {
        var model = try validModel()
        let i = node(model, "Relu")
        model.graph.node[i].opType = "Einsum"
        let name = model.graph.node[i].name
        let path = try write(model, "einsum.onnx")
        assertRefused(path, ["node '\(name)'", "op 'Einsum' is not supported", "supported: Add, AveragePool", "Conv", "Gemm"])
        // inspect still describes the file (and counts the op).
        let summary = try ONNXModel.inspect(path: path)
        XCTAssertEqual(summary.opHistogram["Einsum"], 1)
        XCTAssertEqual(summary.opset, 17)
        XCTAssertEqual(summary.producer, "robust test")
        XCTAssertEqual(summary.inputs, ["input: [batch, 1, 28, 28]"])
        XCTAssertEqual(summary.outputs, ["logits: [batch, 10]"])
    }

    func testCustomDomainOperator() throws {
        var model = try validModel()
        let i = node(model, "Relu")
        model.graph.node[i].domain = "com.microsoft"
        assertRefused(try write(model, "domain.onnx"), ["of domain 'com.microsoft'", "not a standard ONNX operator"])
    }

    func testUndefinedValue() throws {
        var model = try validModel()
        let i = node(model, "Gemm")
        model.graph.node[i].input[0] = "never_written"
        assertRefused(try write(model, "undefined.onnx"), ["node '\(model.graph.node[i].name)' reads 'never_written'", "no initializer, input or node provides"])
    }

    func testValueWrittenTwice() throws {
        var model = try validModel()
        let relu1 = node(model, "Relu"), relu2 = node(model, "Relu", after: relu1)
        model.graph.node[relu2].output = model.graph.node[relu1].output
        assertRefused(try write(model, "twice.onnx"), ["is written twice"])
    }

    func testOpsetOutOfRange() throws {
        for version: Int64 in [9, 99] {
            var model = try validModel()
            model.opsetImport[0].version = version
            assertRefused(try write(model, "opset\(version).onnx"), ["uses opset \(version)", "robust reads opsets 11-21", "opset_version=17"])
        }
        var none = try validModel()
        none.opsetImport = []
        assertRefused(try write(none, "no-opset.onnx"), ["declares no ONNX opset"])
    }

    func testTwoGraphInputs() throws {
        var model = try validModel()
        model.graph.input.append(valueInfo("mask", dims: [nil, 1, 28, 28]))
        assertRefused(try write(model, "two-inputs.onnx"), ["the graph has 2 inputs (input, mask)", "one image tensor [N, C, H, W]"])
    }

    func testWrongInputRank() throws {
        var model = try validModel()
        model.graph.input[0] = valueInfo("input", dims: [nil, 784])
        assertRefused(try write(model, "flat-input.onnx"), ["input 'input' has shape [?, 784]", "robust needs an image [N, C, H, W]"])

        model.graph.input[0] = valueInfo("input", dims: [nil, 1, nil, 28])
        assertRefused(try write(model, "symbolic-height.onnx"), ["has shape [?, 1, ?, 28]", "C, H and W fixed"])

        model.graph.input[0] = valueInfo("input", dims: [nil, 1, 1 << 40, 1 << 40])
        assertRefused(try write(model, "huge-input.onnx"), ["has shape [?, 1, 1099511627776, 1099511627776]"])

        model.graph.input[0] = valueInfo("input", dims: [nil, 1, 28, 28])
        model.graph.input[0].type.tensorType.elemType = 7
        assertRefused(try write(model, "int-input.onnx"), ["element type 7", "float32 images"])
    }

    func testConvChannelMismatch() throws {
        var model = try validModel()
        let conv = node(model, "Conv")
        let w = initializerIndex(model, named: model.graph.node[conv].input[1])
        XCTAssertEqual(model.graph.initializer[w].dims, [32, 1, 3, 3])
        model.graph.initializer[w] = floatTensor(model.graph.initializer[w].name, dims: [32, 3, 3, 3],
                                                 values: [Float](repeating: 0.1, count: 32 * 27))
        assertRefused(try write(model, "conv-channels.onnx"),
                      ["node '\(model.graph.node[conv].name)'", "Conv weight [32, 3, 3, 3] does not fit input [N] + [1, 28, 28]"])

        // The second convolution, fed 32 channels, given a weight for 16.
        var second = try validModel()
        let conv2 = node(second, "Conv", after: conv)
        let w2 = initializerIndex(second, named: second.graph.node[conv2].input[1])
        second.graph.initializer[w2] = floatTensor(second.graph.initializer[w2].name, dims: [64, 16, 3, 3],
                                                   values: [Float](repeating: 0.1, count: 64 * 16 * 9))
        assertRefused(try write(second, "conv2-channels.onnx"), ["node '\(second.graph.node[conv2].name)'", "[64, 16, 3, 3] does not fit input [N] + [32, 14, 14]"])

        // A bias of the wrong length.
        var bias = try validModel()
        let b = initializerIndex(bias, named: bias.graph.node[conv].input[2])
        bias.graph.initializer[b] = floatTensor(bias.graph.initializer[b].name, dims: [5], values: [1, 2, 3, 4, 5])
        assertRefused(try write(bias, "conv-bias.onnx"), ["Conv bias has 5 values for 32 output channels"])
    }

    func testGemmFeatureMismatch() throws {
        var model = try validModel()
        let gemm = node(model, "Gemm")
        let w = initializerIndex(model, named: model.graph.node[gemm].input[1])
        model.graph.initializer[w] = floatTensor(model.graph.initializer[w].name, dims: [128, 100],
                                                 values: [Float](repeating: 0, count: 12_800))
        assertRefused(try write(model, "gemm-features.onnx"), ["node '\(model.graph.node[gemm].name)'", "expects 100 features"])
    }

    func testOutputNotLogits() throws {
        var model = try validModel()
        model.graph.initializer.append(intTensor("to_4d", [0, 10, 1, 1]))
        model.graph.node.append(makeNode("Reshape", ["logits", "to_4d"], ["logits_4d"], name: "unflatten"))
        model.graph.output[0] = valueInfo("logits_4d", dims: [nil, 10, 1, 1])
        assertRefused(try write(model, "4d-output.onnx"), ["output 'logits_4d' is [N] + [10, 1, 1]", "logits [N, classes]"])

        // The feature map itself as the output.
        var features = try validModel()
        let relu2 = node(features, "Relu", after: node(features, "Relu"))
        features.graph.output[0] = valueInfo(features.graph.node[relu2].output[0], dims: [nil, 64, 7, 7])
        assertRefused(try write(features, "feature-output.onnx"), ["is [N] + [64, 7, 7]"])

        // An output nothing computes from the image.
        var constant = try validModel()
        constant.graph.output[0] = valueInfo(constant.graph.initializer[0].name, dims: [1, 1, 1, 1])
        assertRefused(try write(constant, "constant-output.onnx"), ["does not depend on the input image"])

        var two = try validModel()
        two.graph.output.append(valueInfo("input", dims: [nil, 1, 28, 28]))
        assertRefused(try write(two, "two-outputs.onnx"), ["the graph has 2 outputs"])
    }

    func testHostileReshapeTargets() throws {
        // A Reshape to dimensions whose product overflows must be refused, not trap.
        for (i, target) in [[0, 1 << 40, 1 << 40, -1], [0, Int64.max, 2], [0, -1, 0, 0, 0]].enumerated() {
            var model = try validModel()
            model.graph.initializer.append(intTensor("hostile_shape", target))
            model.graph.node.append(makeNode("Reshape", ["logits", "hostile_shape"], ["reshaped"], name: "hostile_reshape"))
            model.graph.output[0] = valueInfo("reshaped", dims: [nil, 10])
            assertRefused(try write(model, "reshape\(i).onnx"), ["node 'hostile_reshape'", "Reshape"])
        }
    }

    func testHostileConstantArithmetic() throws {
        // Integer arithmetic the importer folds must not overflow into a trap.
        for (i, (op, a, b)) in [("Mul", Int64(1) << 40, Int64(1) << 40), ("Add", Int64.max, 1), ("Sub", Int64.min, 1),
                                 ("Div", Int64.min, -1)].enumerated() {
            var model = try validModel()
            model.graph.initializer.append(intTensor("a", [a]))
            model.graph.initializer.append(intTensor("b", [b]))
            model.graph.node.insert(makeNode(op, ["a", "b"], ["folded"], name: "hostile_arith"), at: 0)
            model.graph.node.append(makeNode("Reshape", ["logits", "folded"], ["reshaped"], name: "reshape_folded"))
            model.graph.output[0] = valueInfo("reshaped", dims: [nil, 10])
            assertRefused(try write(model, "arith\(i).onnx"), ["node 'hostile_arith'", "overflow"])
        }
    }

    func testShapeCastToFloat() throws {
        // Shape(input) holds the symbolic batch; casting it to float and gathering from it must not index nothing.
        var model = try validModel()
        model.graph.initializer.append(intTensor("index0", [0]))
        model.graph.node.insert(contentsOf: [
            makeNode("Shape", ["input"], ["input_shape"], name: "shape"),
            makeNode("Cast", ["input_shape"], ["shape_float"], name: "cast_shape", attributes: [attribute("to", int: 1)]),
            makeNode("Gather", ["shape_float", "index0"], ["batch_float"], name: "gather_batch"),
            makeNode("Add", ["logits_pre", "batch_float"], ["logits"], name: "add_batch"),
        ], at: 0)
        let last = model.graph.node.count - 1
        model.graph.node[last].output = ["logits_pre"]
        assertRefused(try write(model, "shape-cast.onnx"), ["node 'cast_shape'", "batch size"])
    }

    func testHostileNamesStayOnOneLine() throws {
        var model = try validModel()
        let i = node(model, "Relu")
        model.graph.node[i].opType = "Bad\nOp"
        model.graph.node[i].name = "line one\nline two\r"
        let error = assertRefused(try write(model, "newline.onnx"), ["line one", "line two"])
        XCTAssertNotNil(error)
    }

    func testHostileStridesAndKernels() throws {
        // SAME padding arithmetic with a stride or kernel near Int.max must be refused, not overflow.
        var model = try validModel()
        let pool = node(model, "MaxPool")
        let autoPad = attribute("auto_pad", string: "SAME_UPPER")
        model.graph.node[pool].attribute = [attribute("kernel_shape", ints: [.max, .max]), attribute("strides", ints: [2, 2]), autoPad]
        assertRefused(try write(model, "pool-kernel.onnx"), ["node '\(model.graph.node[pool].name)'"])

        model = try validModel()
        let conv = node(model, "Conv")
        model.graph.node[conv].attribute = [attribute("strides", ints: [.max, .max]), autoPad]
        assertRefused(try write(model, "conv-stride.onnx"), ["node '\(model.graph.node[conv].name)'"])
    }

    func testConstantSizeBombs() throws {
        // Small files whose folded constants would be huge: refused before anything is allocated.
        var broadcast = try validModel()
        broadcast.graph.initializer.append(floatTensor("column", dims: [1 << 15, 1], values: [Float](repeating: 1, count: 1 << 15)))
        broadcast.graph.initializer.append(floatTensor("row", dims: [1 << 15], values: [Float](repeating: 1, count: 1 << 15)))
        broadcast.graph.node.append(makeNode("Add", ["column", "row"], ["square"], name: "bomb_add"))
        assertRefused(try write(broadcast, "broadcast-bomb.onnx"), ["node 'bomb_add'", "broadcast to over 268435456 elements"])

        var gather = try validModel()
        gather.graph.initializer.append(floatTensor("data", dims: [1 << 14, 1], values: [Float](repeating: 1, count: 1 << 14)))
        var zeros = Onnx_TensorProto()
        zeros.name = "zeros"
        zeros.dataType = 3 // int8: 64 KiB of indices
        zeros.dims = [1 << 16]
        zeros.rawData = Data(count: 1 << 16)
        gather.graph.initializer.append(zeros)
        gather.graph.node.append(makeNode("Gather", ["data", "zeros"], ["gathered"], name: "bomb_gather", attributes: [attribute("axis", int: 1)]))
        assertRefused(try write(gather, "gather-bomb.onnx"), ["node 'bomb_gather'", "over 268435456 elements"])
    }

    func testTransposeOfALargeConstantIsExact() throws {
        // 2^24 + 4 elements: past float32's exact integers, where an index computed in Float is wrong (and one is out of range).
        let (rows, columns) = (1_677_722, 10)
        let w = (0..<rows * columns).map { Float(($0 * 7) % 101) / 101 }
        var model = try validModel()
        model.graph.initializer.append(floatTensor("w_t", dims: [Int64(rows), Int64(columns)], values: w))
        let last = model.graph.node.count - 1
        model.graph.node[last].output = ["logits10"]
        model.graph.node.append(makeNode("Transpose", ["w_t"], ["w"], name: "transpose_w", attributes: [attribute("perm", ints: [1, 0])]))
        model.graph.node.append(makeNode("Gemm", ["logits10", "w"], ["logits"], name: "wide"))
        model.graph.output[0] = valueInfo("logits", dims: [nil, Int64(rows)])
        let wide = try ONNXModel.load(path: try write(model, "wide.onnx"))
        let x = probe(1)
        let logits = try ONNXModel.load(path: try write(Self.validData, "valid.onnx")).makeNetwork().forward(x).storage
        let got = wide.makeNetwork().forward(x).storage
        XCTAssertEqual(got.count, rows)
        var worst: Float = 0
        for r in 0..<rows {
            var expected: Float = 0
            for c in 0..<columns { expected += w[r * columns + c] * logits[c] }
            worst = max(worst, abs(got[r] - expected))
        }
        XCTAssertLessThan(worst, 1e-4)
    }

    // MARK: External data

    /// The model with every initializer's bytes moved to `weights.bin` beside it (offsets in file order).
    func externalized(_ location: (Int) -> String = { _ in "weights.bin" }) throws -> (Onnx_ModelProto, Data) {
        var model = try validModel()
        var blob = Data()
        for i in model.graph.initializer.indices {
            var t = model.graph.initializer[i]
            // Align each tensor to 64 bytes, as onnx.save does with size_threshold.
            blob.append(Data(count: (64 - blob.count % 64) % 64))
            let offset = blob.count, length = t.rawData.count
            blob.append(t.rawData)
            t.clearRawData()
            t.dataLocation = .external
            t.externalData = [("location", location(i)), ("offset", String(offset)), ("length", String(length))]
                .map { key, value in
                    var e = Onnx_StringStringEntryProto()
                    e.key = key
                    e.value = value
                    return e
                }
            model.graph.initializer[i] = t
        }
        return (model, blob)
    }

    func testExternalDataBesideTheModelLoads() throws {
        let embedded = try ONNXModel.load(path: try write(Self.validData, "embedded.onnx"))
        let folder = directory.appendingPathComponent("external")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (model, blob) = try externalized()
        try blob.write(to: folder.appendingPathComponent("weights.bin"))
        let path = folder.appendingPathComponent("model.onnx").path
        try model.serializedData().write(to: URL(fileURLWithPath: path))
        XCTAssertLessThan(try model.serializedData().count, 4096, "the weights really are outside the file")

        let external = try ONNXModel.load(path: path)
        let x = probe()
        XCTAssertEqual(external.makeNetwork().forward(x).storage, embedded.makeNetwork().forward(x).storage)
        XCTAssertEqual(external.summary.parameters, embedded.summary.parameters)

        // The same file, loaded through a relative path from the model's folder.
        let saved = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder.path))
        defer { FileManager.default.changeCurrentDirectoryPath(saved) }
        XCTAssertEqual(try ONNXModel.load(path: "model.onnx").makeNetwork().forward(x).storage, embedded.makeNetwork().forward(x).storage)
    }

    func testExternalDataOutsideTheFolderIsRefused() throws {
        let inner = directory.appendingPathComponent("inner")
        try FileManager.default.createDirectory(at: inner, withIntermediateDirectories: true)
        let (_, blob) = try externalized()
        try blob.write(to: directory.appendingPathComponent("secret.bin"))   // really there, one level up
        try blob.write(to: inner.appendingPathComponent("weights.bin"))
        for (i, location) in ["../secret.bin", "/etc/passwd", directory.appendingPathComponent("secret.bin").path,
                              "sub/../../secret.bin", "./../inner/../secret.bin"].enumerated() {
            let (model, _) = try externalized { $0 == 0 ? location : "weights.bin" }
            let path = inner.appendingPathComponent("escape\(i).onnx").path
            try model.serializedData().write(to: URL(fileURLWithPath: path))
            assertRefused(path, ["names external data '\(location)' outside the model's folder", "refusing to read it"])
        }
        // A symbolic link beside the model that points outside is outside too.
        try FileManager.default.createSymbolicLink(atPath: inner.appendingPathComponent("link.bin").path,
                                                   withDestinationPath: directory.appendingPathComponent("secret.bin").path)
        let (linked, _) = try externalized { $0 == 0 ? "link.bin" : "weights.bin" }
        let path = inner.appendingPathComponent("linked.onnx").path
        try linked.serializedData().write(to: URL(fileURLWithPath: path))
        assertRefused(path, ["'link.bin' outside the model's folder"])
    }

    func testExternalDataProblems() throws {
        let (model, blob) = try externalized()
        try blob.write(to: directory.appendingPathComponent("weights.bin"))
        func variant(_ name: String, _ change: (inout Onnx_TensorProto) -> Void) throws -> String {
            var m = model
            change(&m.graph.initializer[2])
            return try write(m, name)
        }
        func set(_ t: inout Onnx_TensorProto, _ key: String, _ value: String?) {
            t.externalData.removeAll { $0.key == key }
            if let value {
                var e = Onnx_StringStringEntryProto()
                e.key = key
                e.value = value
                t.externalData.append(e)
            }
        }
        assertRefused(try variant("no-location.onnx") { set(&$0, "location", nil) }, ["names no location"])
        assertRefused(try variant("missing-file.onnx") { set(&$0, "location", "gone.bin") }, ["'gone.bin' cannot be read", "copy it next to the model"])
        assertRefused(try variant("past-end.onnx") { set(&$0, "offset", String(blob.count + 1)) }, ["offset", "past the end"])
        assertRefused(try variant("bad-offset.onnx") { set(&$0, "offset", "-4") }, ["offset -4"])
        assertRefused(try variant("long.onnx") { set(&$0, "length", String(blob.count * 2)) }, ["asks for \(blob.count * 2) bytes"])
        assertRefused(try variant("bad-length.onnx") { set(&$0, "length", "lots") }, ["asks for lots bytes"])
        assertRefused(try variant("short.onnx") { set(&$0, "length", "4") }, ["declares 288 elements (shape [32, 1, 3, 3]) but holds 1", "truncated or corrupt"])
        // A folder or a device where the data file should be: refused, never read (a read error traps in Foundation).
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("folder.bin"), withIntermediateDirectories: true)
        assertRefused(try variant("folder.onnx") { set(&$0, "location", "folder.bin"); set(&$0, "offset", "0"); set(&$0, "length", "4") },
                      ["'folder.bin'", "not a regular file"])
    }
}
