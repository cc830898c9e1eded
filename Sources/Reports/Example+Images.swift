import Metrics

/// The three pictures of a gallery entry, as interleaved bytes ready for `encodePNG`.
extension Example {
    /// True when the pixel arrays match the declared C×H×W shape and PNG can hold the channels.
    var hasDrawablePixels: Bool {
        let count = channels * height * width
        return (channels == 1 || channels == 3) && height > 0 && width > 0
            && cleanPixels.count == count && advPixels.count == count
    }

    /// The largest |adv − clean| over all pixels and channels, in bytes (0–255).
    var maxPerturbation: Int {
        zip(cleanPixels, advPixels).map { abs(Int($1) - Int($0)) }.max() ?? 0
    }

    /// The perturbation δ = adv − clean amplified to the full byte range around mid-gray:
    /// `round(127.5 + 127.5 · δ / max|δ|)`, so −max|δ| is 0, no change is 128 and +max|δ| is 255.
    /// All 128 when the images are identical. C×H×W, like the pixel fields.
    var amplifiedPerturbation: [UInt8] {
        let scale = 127.5 / Double(max(maxPerturbation, 1))
        return zip(cleanPixels, advPixels).map { clean, adv in
            UInt8((127.5 + scale * Double(Int(adv) - Int(clean))).rounded())
        }
    }

    /// C×H×W bytes (results.json's layout) to H×W×C (PNG's layout).
    func interleaved(_ planar: [UInt8]) -> [UInt8] {
        let plane = height * width
        var out = [UInt8](repeating: 0, count: planar.count)
        for c in 0..<channels {
            for p in 0..<plane { out[p * channels + c] = planar[c * plane + p] }
        }
        return out
    }

    /// One of the three pictures encoded as PNG.
    func png(_ planar: [UInt8]) throws -> [UInt8] {
        try encodePNG(bytes: interleaved(planar), width: width, height: height, channels: channels)
    }
}
