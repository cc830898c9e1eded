import CPNG
import Foundation

/// A PNG decoded by libpng's simplified API, for checking what the encoder and chromium wrote.
struct DecodedPNG {
    var width: Int
    var height: Int
    var channels: Int
    var bytes: [UInt8]
}

/// Decodes to gray, RGB or RGBA as the file is (nil when libpng cannot read it).
func decodeTestPNG(_ data: [UInt8]) -> DecodedPNG? {
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    guard data.withUnsafeBytes({ png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }) != 0 else { return nil }
    defer { png_image_free(&image) }
    let color = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
    let alpha = image.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
    let channels = (color ? 3 : 1) + (alpha ? 1 : 0)
    image.format = (color ? UInt32(PNG_FORMAT_FLAG_COLOR) : 0) | (alpha ? UInt32(PNG_FORMAT_FLAG_ALPHA) : 0)
    var bytes = [UInt8](repeating: 0, count: Int(image.width) * Int(image.height) * channels)
    guard bytes.withUnsafeMutableBytes({ png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }) != 0 else { return nil }
    return DecodedPNG(width: Int(image.width), height: Int(image.height), channels: channels, bytes: bytes)
}

/// The `data:image/png;base64,` images of a page, in order, decoded.
func embeddedPNGs(_ html: String) -> [DecodedPNG?] {
    let prefix = "data:image/png;base64,"
    return html.components(separatedBy: prefix).dropFirst().map { rest in
        let base64 = rest.prefix { $0 != "\"" }
        return Data(base64Encoded: String(base64)).flatMap { decodeTestPNG([UInt8]($0)) }
    }
}
