import CJPEG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// JPEG goes through libjpeg-turbo's TurboJPEG API, which reports every error by return value
// (tjGetErrorStr2): libjpeg's own API reports them through an `error_exit` that must longjmp out
// of the library, which Swift cannot do. Warnings (corrupt or truncated entropy data, which the
// library would otherwise paper over with gray) are errors too (TJFLAG_STOPONWARNING).

/// Decodes a baseline or progressive JPEG to gray (1-component files) or RGB.
///
/// Corrupt, truncated, oversized or unsupported files (CMYK) become `DatasetError`s naming `path`.
public func decodeJPEG(_ data: [UInt8], path: String) throws -> DecodedImage {
    func fail(_ reason: String) -> DatasetError {
        .corrupt(path: path, reason: reason, fix: "Re-encode the image as a baseline 8-bit gray or RGB JPEG, or remove it")
    }
    guard data.count >= 4, data[0] == 0xFF, data[1] == 0xD8 else {
        throw fail("not a JPEG file (no SOI marker)")
    }
    guard let handle = tjInitDecompress() else { throw fail("cannot start the JPEG decoder") }
    defer { tjDestroy(handle) }
    func libraryError() -> String { String(cString: tjGetErrorStr2(handle)) }
    var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
    guard tjDecompressHeader3(handle, data, UInt(data.count), &width, &height, &subsampling, &colorspace) == 0 else {
        throw fail("not a readable JPEG (\(libraryError()))")
    }
    guard width > 0, height > 0, Int(width) * Int(height) <= maxImagePixels else {
        throw fail("image of \(width)x\(height) pixels; robust reads at most \(maxImagePixels) pixels")
    }
    let gray = colorspace == Int32(TJCS_GRAY.rawValue)
    guard gray || colorspace == Int32(TJCS_YCbCr.rawValue) || colorspace == Int32(TJCS_RGB.rawValue) else {
        throw fail("unsupported JPEG colour space (CMYK or YCCK)")
    }
    let channels = gray ? 1 : 3
    var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
    let status = pixels.withUnsafeMutableBufferPointer { out in
        tjDecompress2(handle, data, UInt(data.count), out.baseAddress, width, 0, height,
                      Int32(gray ? TJPF_GRAY.rawValue : TJPF_RGB.rawValue), TJFLAG_STOPONWARNING)
    }
    guard status == 0 else { throw fail("not a readable JPEG (\(libraryError()))") }
    return DecodedImage(width: Int(width), height: Int(height), channels: channels, bytes: pixels)
}
