import Datasets
import _TestSupport
import XCTest

final class ImageFolderTests: XCTestCase {
    /// A smooth C×H×W test pattern (smooth so JPEG reproduces it closely), values on the byte grid.
    func pattern(channels: Int, height: Int, width: Int, shift: Int = 0) -> [Float] {
        (0..<(channels * height * width)).map { i in
            let c = i / (height * width), y = i / width % height, x = i % width
            return Float((20 + 4 * x + 3 * y + 30 * c + shift) % 256) / 255
        }
    }

    /// The decoded image back in C×H×W floats, for comparison with `pattern`.
    func planar(_ image: DecodedImage) -> [Float] {
        let plane = image.width * image.height
        return (0..<(image.channels * plane)).map { i in
            Float(image.bytes[(i % plane) * image.channels + i / plane]) / 255
        }
    }

    func testPNGRoundTripIsExact() throws {
        for channels in [1, 3] {
            let pixels = pattern(channels: channels, height: 5, width: 7)
            let png = encodePNG(pixels: pixels, width: 7, height: 5, channels: channels)
            let image = try decodePNG(png, path: "mem.png")
            XCTAssertEqual([image.width, image.height, image.channels], [7, 5, channels])
            XCTAssertEqual(planar(image), pixels)
        }
    }

    func testJPEGRoundTripIsClose() throws {
        for channels in [1, 3] {
            let pixels = pattern(channels: channels, height: 16, width: 16)
            let jpeg = encodeJPEG(pixels: pixels, width: 16, height: 16, channels: channels, quality: 100)
            XCTAssertEqual(Array(jpeg.prefix(2)), [0xFF, 0xD8])
            let image = try decodeJPEG(jpeg, path: "mem.jpg")
            XCTAssertEqual([image.width, image.height, image.channels], [16, 16, channels])
            // Quality 100 with chroma subsampling on a smooth pattern: a few levels at most.
            assertClose(planar(image), pixels, rtol: 0, atol: 8 / 255)
        }
    }

    func testFolderOrderingAndLayout() throws {
        let root = try makeTemporaryDirectory(self)
        let cat0 = pattern(channels: 3, height: 4, width: 4, shift: 0)
        let cat1 = pattern(channels: 3, height: 4, width: 4, shift: 1)
        let dog0 = pattern(channels: 3, height: 4, width: 4, shift: 2)
        try writeFile(encodePNG(pixels: cat1, width: 4, height: 4, channels: 3), root, "cat/b.PNG")
        try writeFile(encodePNG(pixels: cat0, width: 4, height: 4, channels: 3), root, "cat/a.png")
        try writeFile(encodePNG(pixels: dog0, width: 4, height: 4, channels: 3), root, "dog/z.png")
        try writeFile(encodeJPEG(pixels: dog0, width: 4, height: 4, channels: 3), root, "dog/a.JPEG")
        try writeFile(Array("notes".utf8), root, "dog/readme.txt")
        try writeFile(Array("x".utf8), root, ".hidden/x.png")
        try writeFile(Array("x".utf8), root, "stray.png")
        let data = try Dataset.loadImageFolder(root: root, name: "pets")
        XCTAssertEqual(data.name, "pets")
        XCTAssertEqual(data.classNames, ["cat", "dog"])
        XCTAssertEqual(data.labels, [0, 0, 1, 1])
        XCTAssertEqual([data.channels, data.height, data.width], [3, 4, 4])
        let x = data.batches(indices: [0, 1, 2, 3], batchSize: 4)[0].x
        XCTAssertEqual(Array(x.storage[0..<48]), cat0)
        XCTAssertEqual(Array(x.storage[48..<96]), cat1)
        assertClose(Array(x.storage[96..<144]), dog0, rtol: 0, atol: 24 / 255) // the JPEG, sorted first
        XCTAssertEqual(Array(x.storage[144..<192]), dog0)
    }

    func testGrayFolder() throws {
        let root = try makeTemporaryDirectory(self)
        let pixels = pattern(channels: 1, height: 3, width: 2)
        try writeFile(encodePNG(pixels: pixels, width: 2, height: 3, channels: 1), root, "only/one.png")
        let data = try Dataset.loadImageFolder(root: root)
        XCTAssertEqual([data.count, data.channels, data.height, data.width], [1, 1, 3, 2])
        XCTAssertEqual(data.image(at: 0).storage, pixels)
    }

    func testMismatchedSizeNamesTheFile() throws {
        let root = try makeTemporaryDirectory(self)
        try writeFile(encodePNG(pixels: pattern(channels: 3, height: 4, width: 4), width: 4, height: 4, channels: 3),
                      root, "a/1.png")
        let odd = try writeFile(encodePNG(pixels: pattern(channels: 3, height: 4, width: 5), width: 5, height: 4,
                                          channels: 3), root, "b/2.png")
        assertDatasetError(try Dataset.loadImageFolder(root: root), mentions: odd, "5×4×3", "4×4×3", "1.png")
        // A gray image among RGB ones is a channel mismatch, reported the same way.
        try FileManager.default.removeItem(atPath: odd)
        let gray = try writeFile(encodePNG(pixels: pattern(channels: 1, height: 4, width: 4), width: 4, height: 4,
                                           channels: 1), root, "b/3.png")
        assertDatasetError(try Dataset.loadImageFolder(root: root), mentions: gray, "4×4×1")
    }

    func testCorruptFilesGiveErrorsNotCrashes() throws {
        let png = encodePNG(pixels: pattern(channels: 3, height: 8, width: 8), width: 8, height: 8, channels: 3)
        let jpeg = encodeJPEG(pixels: pattern(channels: 3, height: 64, width: 64), width: 64, height: 64, channels: 3)
        var garbledJPEG = jpeg
        for i in stride(from: 2, to: 40, by: 1) { garbledJPEG[i] = UInt8(i * 37 % 256) }
        // A header claiming 65,000 x 65,000 pixels (4 GB decoded): refused before any allocation.
        var huge = jpeg
        let sof = try XCTUnwrap((0..<huge.count - 9).first { huge[$0] == 0xFF && huge[$0 + 1] == 0xC0 }, "no SOF0 marker")
        for offset in [sof + 5, sof + 7] { (huge[offset], huge[offset + 1]) = (0xFD, 0xE8) }
        var garbledPNG = png
        for i in stride(from: 8, to: png.count, by: 3) { garbledPNG[i] ^= 0x5A }
        let cases: [(String, [UInt8])] = [
            ("truncated.png", Array(png.prefix(png.count / 2))),
            ("header-only.png", Array(png.prefix(12))),
            ("garbled.png", garbledPNG),
            ("truncated.jpg", Array(jpeg.prefix(jpeg.count / 2))),
            ("header-only.jpg", Array(jpeg.prefix(20))),
            ("soi-only.jpg", [0xFF, 0xD8, 0xFF, 0xD9]),
            ("garbled.jpg", garbledJPEG),
            ("garbage.png", (0..<100).map { UInt8($0 * 91 % 256) }),
            ("empty.jpg", []),
            ("huge.jpg", huge),
        ]
        let dir = try makeTemporaryDirectory(self)
        for (name, bytes) in cases {
            let path = try writeFile(bytes, dir, name)
            assertDatasetError(try Dataset.decodeImageFile(path), mentions: path)
        }
        // In a folder, the error names the bad file.
        let root = try makeTemporaryDirectory(self)
        try writeFile(png, root, "a/good.png")
        let bad = try writeFile(Array(jpeg.prefix(jpeg.count / 3)), root, "a/bad.jpg")
        assertDatasetError(try Dataset.loadImageFolder(root: root), mentions: bad, "JPEG")
    }

    func testEmptyOrMissingRoot() throws {
        let root = try makeTemporaryDirectory(self)
        assertDatasetError(try Dataset.loadImageFolder(root: root), mentions: root, "<class>")
        assertDatasetError(try Dataset.loadImageFolder(root: root + "/nope"), mentions: root + "/nope")
    }
}
