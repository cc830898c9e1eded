import Metrics

extension RunReport {
    /// Display size of gallery images: the largest whole-number upscale that keeps them within
    /// this many CSS pixels (whole numbers keep pixelated scaling even).
    static let galleryImageSize = 112

    /// Each example as clean, adversarial and amplified-perturbation pictures (PNG data URIs)
    /// with a caption: true label, both predictions with confidences, attack and ε.
    static func gallery(_ r: RunResults) -> String {
        guard !r.examples.isEmpty else { return "<p class=\"note\">No examples were kept in these results.</p>\n" }
        var out = "<p class=\"lead\">The perturbation is adversarial minus clean, amplified so that its largest change spans "
        out += "black to white around mid-gray (no change is gray).</p>\n<div class=\"gallery\">\n"
        for example in r.examples {
            out += figure(example, classNames: r.dataset.classNames)
        }
        return out + "</div>\n"
    }

    private static func figure(_ e: Example, classNames: [String]) -> String {
        func name(_ label: Int) -> String {
            escapeHTML(label >= 0 && label < classNames.count ? classNames[label] : "class \(label)")
        }
        var out = "<figure>\n"
        if e.hasDrawablePixels, let clean = try? e.png(e.cleanPixels), let adv = try? e.png(e.advPixels),
           let delta = try? e.png(e.amplifiedPerturbation) {
            let scale = max(1, galleryImageSize / max(e.width, e.height))
            let size = "width=\"\(e.width * scale)\" height=\"\(e.height * scale)\""
            out += "<div class=\"images\">\n"
            for (png, caption) in [(clean, "clean"), (adv, "adversarial"), (delta, "perturbation")] {
                out += "<div><img \(size) alt=\"\(caption) image of sample \(e.index)\" src=\"\(pngDataURI(png))\">\(caption)</div>\n"
            }
            out += "</div>\n"
        } else {
            out += "<p class=\"note\">Pixels missing or not \(e.channels)×\(e.height)×\(e.width) with 1 or 3 channels; no images.</p>\n"
        }
        let fooled = e.advPred != e.label
        let maxDelta = e.maxPerturbation
        out += "<figcaption>Sample \(e.index): true <b>\(name(e.label))</b><br>\n"
        out += "clean → \(name(e.cleanPred)) (\(Format.percent(e.cleanConfidence)))<br>\n"
        out += "adversarial → <span class=\"\(fooled ? "fooled" : "held")\">\(name(e.advPred))</span> (\(Format.percent(e.advConfidence)))<br>\n"
        out += "\(escapeHTML(e.attack)), \(escapeHTML(normLabel(e.norm))) ε = \(Format.eps(e.eps)); max |δ| = \(maxDelta)/255"
        if maxDelta > 0 { out += ", shown ×\(Format.decimal(127.5 / Double(maxDelta), digits: 3))" }
        return out + "</figcaption>\n</figure>\n"
    }
}
