import Datasets
import XCTest

final class IDXTests: XCTestCase {
    /// 3 images of 2×4 with every pixel distinct, and labels 0, 9, 4.
    let imageData: [UInt8] = (0..<24).map { UInt8($0 * 11 % 256) }
    let labelData: [UInt8] = [0, 9, 4]

    func writePair(_ dir: String, gzipped: Bool, split: String = "t10k") throws {
        let suffix = gzipped ? ".gz" : ""
        let images = idxBytes(dims: [3, 2, 4], data: imageData)
        let labels = idxBytes(dims: [3], data: labelData)
        try writeFile(gzipped ? gzip(images) : images, dir, "\(split)-images-idx3-ubyte\(suffix)")
        try writeFile(gzipped ? gzip(labels) : labels, dir, "\(split)-labels-idx1-ubyte\(suffix)")
    }

    func checkRoundTrip(_ data: Dataset) {
        XCTAssertEqual(data.count, 3)
        XCTAssertEqual([data.channels, data.height, data.width], [1, 2, 4])
        XCTAssertEqual(data.labels, [0, 9, 4])
        XCTAssertEqual(data.classNames[9], "Ankle boot")
        let batch = data.batches(indices: [0, 1, 2], batchSize: 3)[0]
        XCTAssertEqual(batch.x.shape, [3, 1, 2, 4])
        XCTAssertEqual(batch.x.storage, imageData.map { Float($0) / 255 }) // exact, not approximate
    }

    func testPlainFilesRoundTrip() throws {
        let dir = try makeTemporaryDirectory(self)
        try writePair(dir, gzipped: false)
        checkRoundTrip(try Dataset.loadFashionMNIST(split: .test, directory: dir))
    }

    func testGzipFilesRoundTrip() throws {
        let dir = try makeTemporaryDirectory(self)
        try writePair(dir, gzipped: true, split: "train")
        let data = try Dataset.loadFashionMNIST(split: .train, directory: dir)
        checkRoundTrip(data)
        XCTAssertEqual(data.name, "fashion-mnist")
    }

    func testMNISTUsesDigitNames() throws {
        let dir = try makeTemporaryDirectory(self)
        try writePair(dir, gzipped: true)
        let data = try Dataset.loadMNIST(split: .test, directory: dir)
        XCTAssertEqual(data.classNames, (0..<10).map(String.init))
    }

    func testMissingDirectoryNamesFileAndFix() throws {
        let dir = try makeTemporaryDirectory(self)
        assertDatasetError(try Dataset.loadFashionMNIST(split: .test, directory: dir),
                           mentions: dir, "t10k-images-idx3-ubyte", "apt-get install dataset-fashion-mnist", "--data")
    }

    func testTruncatedImageFile() throws {
        let dir = try makeTemporaryDirectory(self)
        try writePair(dir, gzipped: false)
        let path = try writeFile(Array(idxBytes(dims: [3, 2, 4], data: imageData).dropLast(5)), dir,
                                 "t10k-images-idx3-ubyte")
        assertDatasetError(try Dataset.loadFashionMNIST(split: .test, directory: dir), mentions: path, "truncated")
        // A header cut short is reported too, not read out of bounds.
        try writeFile([0, 0, 8, 3, 0, 0], dir, "t10k-images-idx3-ubyte")
        assertDatasetError(try Dataset.loadFashionMNIST(split: .test, directory: dir), mentions: path)
    }

    func testTruncatedGzipStream() throws {
        let dir = try makeTemporaryDirectory(self)
        try writePair(dir, gzipped: true)
        let compressed = gzip(idxBytes(dims: [3, 2, 4], data: imageData))
        let path = try writeFile(Array(compressed.prefix(compressed.count / 2)), dir, "t10k-images-idx3-ubyte.gz")
        assertDatasetError(try Dataset.loadFashionMNIST(split: .test, directory: dir), mentions: path, "gzip")
    }

    func testWrongMagic() throws {
        let dir = try makeTemporaryDirectory(self)
        try writePair(dir, gzipped: false)
        // A label file where the image file should be.
        let path = try writeFile(idxBytes(dims: [3], data: labelData), dir, "t10k-images-idx3-ubyte")
        assertDatasetError(try Dataset.loadFashionMNIST(split: .test, directory: dir), mentions: path, "magic")
    }

    func testCountMismatch() throws {
        let dir = try makeTemporaryDirectory(self)
        try writePair(dir, gzipped: false)
        let path = try writeFile(idxBytes(dims: [2], data: [1, 2]), dir, "t10k-labels-idx1-ubyte")
        assertDatasetError(try Dataset.loadFashionMNIST(split: .test, directory: dir), mentions: path, "2 labels", "3 images")
    }

    func testLabelOutOfRange() throws {
        let dir = try makeTemporaryDirectory(self)
        try writePair(dir, gzipped: false)
        let path = try writeFile(idxBytes(dims: [3], data: [1, 10, 2]), dir, "t10k-labels-idx1-ubyte")
        assertDatasetError(try Dataset.loadFashionMNIST(split: .test, directory: dir), mentions: path, "label 10")
    }

    func testInstalledFashionMNISTTestSet() throws {
        let dir = "/usr/share/datasets/fashion-mnist"
        guard FileManager.default.fileExists(atPath: dir + "/t10k-images-idx3-ubyte.gz") else {
            throw XCTSkip("dataset-fashion-mnist is not installed")
        }
        let data = try Dataset.loadFashionMNIST(split: .test)
        XCTAssertEqual(data.count, 10000)
        XCTAssertEqual([data.channels, data.height, data.width], [1, 28, 28])
        XCTAssertTrue(data.labels.allSatisfy { (0..<10).contains($0) })
        XCTAssertEqual(Set(data.labels).count, 10)
    }
}
