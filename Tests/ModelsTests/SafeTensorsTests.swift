import Foundation
import Models
import XCTest
import _TestSupport

final class SafeTensorsTests: XCTestCase {
    func sample() -> SafeTensors.File {
        SafeTensors.File(entries: [
            "0.weight": .f32(randomTensor([4, 3, 3, 3], seed: 1)),
            "0.bias": .f32(Tensor(shape: [4], storage: [-0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -1.5])),
            "1.num_batches_tracked": .i64(shape: [], values: [1234]),
        ], metadata: ["architecture": "cnn", "quote\"d": "line\nbreak"])
    }

    func testRoundTripIsBitExact() throws {
        let file = sample()
        let data = SafeTensors.encode(file)
        let back = try SafeTensors.decode(data, source: "mem")
        XCTAssertEqual(back.metadata, file.metadata)
        for (name, entry) in file.entries {
            switch (entry, back.entries[name]) {
            case (.f32(let a), .f32(let b)?):
                XCTAssertEqual(a.shape, b.shape)
                XCTAssertEqual(a.storage.map(\.bitPattern), b.storage.map(\.bitPattern), name)
            case (.i64(let s1, let v1), .i64(let s2, let v2)?):
                XCTAssertEqual(s1, s2); XCTAssertEqual(v1, v2)
            default: XCTFail("entry \(name) changed kind")
            }
        }
        XCTAssertEqual(SafeTensors.encode(back), data, "encoding is deterministic")
    }

    func testLayoutFollowsTheSpec() throws {
        let data = SafeTensors.encode(sample())
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(n % 8, 0, "header padded to 8 bytes")
        let header = String(decoding: data[8..<(8 + n)], as: UTF8.self)
        XCTAssertTrue(header.contains("\"0.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}"), header)
        XCTAssertTrue(header.contains("\"dtype\":\"I64\",\"shape\":[]"), header)
        XCTAssertEqual(data.count, 8 + n + 4 * 4 + 4 * 108 + 8, "bias, weight [4,3,3,3], one int64")
    }

    func testCorruptFilesGiveClearErrors() {
        let good = SafeTensors.encode(sample())
        func expectError(_ data: Data, contains text: String, line: UInt = #line) {
            XCTAssertThrowsError(try SafeTensors.decode(data, source: "x.safetensors"), line: line) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains("x.safetensors") && message.contains(text), message, line: line)
            }
        }
        expectError(Data(), contains: "shorter than")
        expectError(good.prefix(good.count - 5), contains: "outside")
        expectError(good.prefix(20), contains: "header claims")
        var huge = good; huge[7] = 0x7f
        expectError(huge, contains: "exceeds")
        var garbage = good; garbage[8] = UInt8(ascii: "x")
        expectError(garbage, contains: "not a JSON")
        var extra = good; extra.append(contentsOf: [0, 0, 0, 0])
        expectError(extra, contains: "trailing")
        let badDtype = makeFile(header: #"{"w":{"dtype":"Q8","shape":[1],"data_offsets":[0,1]}}"#, body: 1)
        expectError(badDtype, contains: "dtype Q8")
        let badShape = makeFile(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, body: 8)
        expectError(badShape, contains: "needs 12")
        let overlap = makeFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, body: 8)
        expectError(overlap, contains: "gap or overlap")
    }

    func testMissingFileNamesThePath() {
        XCTAssertThrowsError(try SafeTensors.read(path: "/nonexistent/m.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/m.safetensors"))
        }
    }

    func testAtomicWriteThenRead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.safetensors").path
        try SafeTensors.write(sample(), to: path)
        XCTAssertEqual(try SafeTensors.read(path: path).entries.count, 3)
    }

    private func makeFile(header: String, body: Int) -> Data {
        var h = Data(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var out = Data()
        var n = UInt64(h.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(h)
        out.append(Data(count: body))
        return out
    }
}
