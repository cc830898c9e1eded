import CPNG

/// An 8-bit image as decoded from a file: H×W×C interleaved bytes (the file order, not NCHW).
public struct DecodedImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// 1 (gray) or 3 (RGB).
    public let channels: Int
    /// Row-major bytes, channels interleaved: pixel (y, x) channel c is at `(y*width + x)*channels + c`.
    public let bytes: [UInt8]

    /// "W×H×C", the form used in error messages.
    var sizeDescription: String { "\(width)×\(height)×\(channels)" }
}

/// Decodes a PNG with libpng's simplified API, to gray when the file is gray and RGB otherwise.
///
/// The simplified API (`png_image_*`) catches libpng's internal longjmp itself and reports
/// failure by return value, so corrupt files come back as errors and never unwind Swift frames.
/// Alpha is composited onto black; 16-bit files are reduced to 8 bits. `path` only names the
/// file in errors.
public func decodePNG(_ data: [UInt8], path: String) throws -> DecodedImage {
    func fail(_ image: png_image) -> DatasetError {
        let message = withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return .corrupt(path: path, reason: "not a readable PNG (libpng: \(message))",
                        fix: "Re-export the image as an 8-bit PNG or remove it")
    }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    let began = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
    guard began != 0 else { throw fail(image) }
    defer { png_image_free(&image) }
    let color = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
    let channels = color ? 3 : 1
    image.format = color ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
    let width = Int(image.width), height = Int(image.height)
    guard width > 0, height > 0, width * height <= maxImagePixels else {
        throw DatasetError.corrupt(path: path, reason: "PNG size \(width)×\(height) is empty or too large",
                                   fix: "Use images of at most \(maxImagePixels) pixels")
    }
    var bytes = [UInt8](repeating: 0, count: width * height * channels)
    let finished = bytes.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
    guard finished != 0 else { throw fail(image) }
    return DecodedImage(width: width, height: height, channels: channels, bytes: bytes)
}

/// Largest image (in pixels) the decoders accept, so a forged header cannot demand gigabytes.
let maxImagePixels = 1 << 26
