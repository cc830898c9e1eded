import CJPEG
import Reports

/// Test images from tensors: C×H×W floats in [0,1] (clamped, rounded to the nearest byte, exact for
/// `byte/255`) to PNG or JPEG files, so the image-folder tests read real files. PNG goes through
/// the reports' encoder (the one PNG encoder); JPEG through libjpeg-turbo, the library robust reads with.

/// PNG bytes of one C×H×W image (`channels` 1 or 3).
public func encodePNG(pixels: [Float], width: Int, height: Int, channels: Int) -> [UInt8] {
    try! encodePNG(bytes: interleave(pixels, width: width, height: height, channels: channels),
                   width: width, height: height, channels: channels)
}

/// JPEG bytes of one C×H×W image at `quality` 1...100 (4:4:4, no chroma subsampling). Lossy:
/// decoding gives back values within a few levels.
public func encodeJPEG(pixels: [Float], width: Int, height: Int, channels: Int, quality: Int = 95) -> [UInt8] {
    precondition(channels == 1 || channels == 3, "encodeJPEG: channels must be 1 or 3, got \(channels)")
    let interleaved = interleave(pixels, width: width, height: height, channels: channels)
    guard let handle = tjInitCompress() else { preconditionFailure("encodeJPEG: cannot start the JPEG encoder") }
    defer { tjDestroy(handle) }
    var output: UnsafeMutablePointer<UInt8>? = nil
    var size: UInt = 0
    let status = tjCompress2(handle, interleaved, Int32(width), 0, Int32(height),
                             Int32(channels == 3 ? TJPF_RGB.rawValue : TJPF_GRAY.rawValue), &output, &size,
                             Int32(channels == 3 ? TJSAMP_444.rawValue : TJSAMP_GRAY.rawValue), Int32(min(max(quality, 1), 100)), 0)
    defer { tjFree(output) }
    precondition(status == 0 && output != nil, "encodeJPEG: \(String(cString: tjGetErrorStr2(handle)))")
    return Array(UnsafeBufferPointer(start: output, count: Int(size)))
}

/// C×H×W floats in [0,1] to H×W×C bytes.
private func interleave(_ pixels: [Float], width: Int, height: Int, channels: Int) -> [UInt8] {
    precondition(pixels.count == width * height * channels, "\(pixels.count) values for \(channels)×\(height)×\(width)")
    var out = [UInt8](repeating: 0, count: pixels.count)
    let plane = width * height
    for c in 0..<channels {
        for p in 0..<plane {
            let v = pixels[c * plane + p]
            out[p * channels + c] = UInt8((min(max(v.isNaN ? 0 : v, 0), 1) * 255).rounded())
        }
    }
    return out
}
