import Datasets
import XCTest

final class CIFARTests: XCTestCase {
    /// Record r: label (r * 3) % 10, pixel byte j of the 3072 = (j + r) % 251, so planes differ.
    func record(_ r: Int) -> [UInt8] {
        [UInt8(r * 3 % 10)] + (0..<3072).map { UInt8(($0 + r) % 251) }
    }

    func testRecordsKeepCHWOrderAndLabels() throws {
        let dir = try makeTemporaryDirectory(self)
        try writeFile((0..<3).flatMap(record), dir, "cifar-10-batches-bin/test_batch.bin")
        let data = try Dataset.loadCIFAR10(split: .test, directory: dir)
        XCTAssertEqual(data.count, 3)
        XCTAssertEqual(data.labels, [0, 3, 6])
        XCTAssertEqual(data.classNames[3], "cat")
        let x = data.batches(indices: [2], batchSize: 1)[0].x
        XCTAssertEqual(x.shape, [1, 3, 32, 32])
        // Channel c, row y, column x is byte 1 + c*1024 + y*32 + x of the record.
        for (c, y, col) in [(0, 0, 0), (1, 5, 7), (2, 31, 31)] {
            let j = c * 1024 + y * 32 + col
            XCTAssertEqual(x.storage[j], Float((j + 2) % 251) / 255, "c \(c) y \(y) x \(col)")
        }
    }

    func testTrainSplitReadsFiveFilesInOrder() throws {
        let dir = try makeTemporaryDirectory(self)
        for b in 1...5 { try writeFile(record(b), dir, "data_batch_\(b).bin") }
        let data = try Dataset.loadCIFAR10(split: .train, directory: dir)
        XCTAssertEqual(data.labels, (1...5).map { $0 * 3 % 10 })
    }

    func testBadLengthAndLabel() throws {
        let dir = try makeTemporaryDirectory(self)
        let short = try writeFile(Array(record(0).dropLast()), dir, "test_batch.bin")
        assertDatasetError(try Dataset.loadCIFAR10(split: .test, directory: dir), mentions: short, "3073")
        var bad = record(0)
        bad[0] = 10
        try writeFile(bad, dir, "test_batch.bin")
        assertDatasetError(try Dataset.loadCIFAR10(split: .test, directory: dir), mentions: short, "label 10")
    }

    func testMissingFileNamesIt() throws {
        let dir = try makeTemporaryDirectory(self)
        assertDatasetError(try Dataset.loadCIFAR10(split: .train, directory: dir), mentions: "data_batch_1.bin", "--data")
    }
}
