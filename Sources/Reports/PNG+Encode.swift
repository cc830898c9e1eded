import CPNG

/// Encodes 8-bit pixels as a PNG file in memory with libpng's simplified write API.
///
/// `bytes` are row-major with channels interleaved (pixel (y, x) channel c at
/// `(y*width + x)*channels + c`); `channels` is 1 (gray) or 3 (RGB). The simplified API
/// (`png_image_write_to_memory`) reports errors by return value instead of longjmp-ing through
/// Swift frames, so a failure becomes a thrown `PNGEncodeError`.
public func encodePNG(bytes: [UInt8], width: Int, height: Int, channels: Int) throws -> [UInt8] {
    guard channels == 1 || channels == 3 else {
        throw PNGEncodeError("PNG images need 1 or 3 channels, not \(channels)")
    }
    guard width > 0, height > 0, bytes.count == width * height * channels else {
        throw PNGEncodeError("\(bytes.count) bytes do not make a \(width)×\(height)×\(channels) image")
    }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    image.width = UInt32(width)
    image.height = UInt32(height)
    image.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
    defer { png_image_free(&image) }
    // First call with no buffer: libpng computes the encoded size.
    var size = 0
    let sized = bytes.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }
    guard sized != 0, size > 0 else { throw PNGEncodeError(libpngMessage(image)) }
    var output = [UInt8](repeating: 0, count: size)
    let written = output.withUnsafeMutableBytes { out in
        bytes.withUnsafeBytes { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
    }
    guard written != 0 else { throw PNGEncodeError(libpngMessage(image)) }
    return Array(output.prefix(size))
}

/// The message libpng left in a failed `png_image`.
private func libpngMessage(_ image: png_image) -> String {
    let message = withUnsafeBytes(of: image.message) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    return "libpng: " + message
}

/// Pixels that cannot be encoded as a PNG (a malformed example in results.json).
public struct PNGEncodeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
