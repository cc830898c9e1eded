import Datasets
import XCTest

final class BatchTests: XCTestCase {
    /// 7 samples of 1×1×2; sample i has pixels (i, 100 + i) and label i % 3.
    let data = Dataset(name: "toy", classNames: ["a", "b", "c"], channels: 1, height: 1, width: 2,
                       pixels: (0..<7).flatMap { [UInt8($0), UInt8(100 + $0)] }, labels: (0..<7).map { $0 % 3 })

    func testOrderAndLastPartialBatch() {
        let batches = data.batches(indices: [6, 0, 3, 5, 1], batchSize: 2)
        XCTAssertEqual(batches.count, 3)
        XCTAssertEqual(batches.map(\.indices), [[6, 0], [3, 5], [1]])
        XCTAssertEqual(batches.map(\.labels), [[0, 0], [0, 2], [1]])
        XCTAssertEqual(batches[2].x.shape, [1, 1, 1, 2])
        XCTAssertEqual(batches[0].x.storage, [6, 106, 0, 100].map { Float($0) / 255 })
        // Deterministic: a second pass, and a different batch size, give the same samples in the same order.
        XCTAssertEqual(Array(batches).flatMap(\.indices), Array(data.batches(indices: [6, 0, 3, 5, 1], batchSize: 3)).flatMap(\.indices))
        XCTAssertEqual(Array(batches).flatMap(\.x.storage), data.batches(indices: [6, 0, 3, 5, 1], batchSize: 5)[0].x.storage)
    }

    func testSelectFirst() throws {
        XCTAssertEqual(try data.selectFirst(3), [0, 1, 2])
        XCTAssertEqual(try data.selectFirst(nil), Array(0..<7))
        assertDatasetError(try data.selectFirst(8), mentions: "--samples 8", "7")
        assertDatasetError(try data.selectFirst(0), mentions: "--samples")
    }

    func testIndicesFile() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = try writeFile(Array("# chosen samples\n4\n 2  # second\n\n6\n".utf8), dir, "idx.txt")
        XCTAssertEqual(try data.loadIndices(file: path), [4, 2, 6])
    }

    func testIndicesFileErrorsNameTheLine() throws {
        let dir = try makeTemporaryDirectory(self)
        let outOfRange = try writeFile(Array("1\n# c\n7\n".utf8), dir, "a.txt")
        assertDatasetError(try data.loadIndices(file: outOfRange), mentions: "\(outOfRange):3", "index 7", "0..<7")
        let notInteger = try writeFile(Array("1\nfive\n".utf8), dir, "b.txt")
        assertDatasetError(try data.loadIndices(file: notInteger), mentions: "\(notInteger):2", "five")
        let negative = try writeFile(Array("-1\n".utf8), dir, "c.txt")
        assertDatasetError(try data.loadIndices(file: negative), mentions: "\(negative):1")
        let duplicate = try writeFile(Array("2\n3\n2\n".utf8), dir, "d.txt")
        assertDatasetError(try data.loadIndices(file: duplicate), mentions: "\(duplicate):3", "repeats line 1")
        let empty = try writeFile(Array("# nothing\n".utf8), dir, "e.txt")
        assertDatasetError(try data.loadIndices(file: empty), mentions: empty)
        assertDatasetError(try data.loadIndices(file: dir + "/absent.txt"), mentions: "absent.txt")
    }
}
