import Reports
import XCTest

/// The report's PNG encoder: a valid file whose header has the right size and that libpng
/// decodes back to the same bytes.
final class PNGEncodeTests: XCTestCase {
    func testGrayRoundTrips() throws {
        let pixels = (0..<(5 * 3)).map { UInt8($0 * 17) }
        let png = try encodePNG(bytes: pixels, width: 5, height: 3, channels: 1)
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        XCTAssertEqual(String(decoding: png[12..<16], as: UTF8.self), "IHDR")
        XCTAssertEqual(bigEndian(png[16..<20]), 5, "IHDR width")
        XCTAssertEqual(bigEndian(png[20..<24]), 3, "IHDR height")
        let decoded = try XCTUnwrap(decodeTestPNG(png))
        XCTAssertEqual(decoded.channels, 1)
        XCTAssertEqual(decoded.bytes, pixels)
    }

    func testRGBRoundTrips() throws {
        let pixels = (0..<(4 * 6 * 3)).map { UInt8(($0 * 37) % 256) }
        let png = try encodePNG(bytes: pixels, width: 4, height: 6, channels: 3)
        let decoded = try XCTUnwrap(decodeTestPNG(png))
        XCTAssertEqual([decoded.width, decoded.height, decoded.channels], [4, 6, 3])
        XCTAssertEqual(decoded.bytes, pixels)
    }

    func testMalformedInputThrowsInsteadOfTrapping() {
        XCTAssertThrowsError(try encodePNG(bytes: [1, 2, 3], width: 2, height: 2, channels: 1))
        XCTAssertThrowsError(try encodePNG(bytes: [UInt8](repeating: 0, count: 8), width: 2, height: 2, channels: 2))
    }

    private func bigEndian(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.reduce(0) { $0 << 8 | Int($1) }
    }
}
