import Foundation
import Metrics
import Reports
import XCTest

/// The HTML reports: structure pinned by golden outlines, data escaped, self-contained, gallery
/// pictures right, per-class numbers from the worst case.
final class HTMLReportTests: XCTestCase {
    func testRunReportStructureMatchesGolden() {
        assertMatchesGolden(htmlOutline(RunReport.html(ReportFixture.results())), named: "run-report.outline.txt")
    }

    func testComparisonReportStructureMatchesGolden() {
        var adversarial = ReportFixture.results()
        adversarial.model.name = "cnn-adv"
        adversarial.curve = adversarial.curve.map { point in
            var p = point
            p.robustAcc = min(1, p.robustAcc + 0.3)
            return p
        }
        let html = ComparisonReport.html([ReportFixture.results(), adversarial])
        assertMatchesGolden(htmlOutline(html), named: "comparison-report.outline.txt")
        XCTAssertTrue(html.contains("cnn-adv: worst"), "overlaid lines are labelled <model name>: <attack>")
        XCTAssertTrue(html.contains("cnn-&lt;fixture&gt;: pgd"))
    }

    func testDataIsEscapedEverywhere() {
        let r = ReportFixture.results()
        for html in [RunReport.html(r), ComparisonReport.html([r, r])] {
            XCTAssertFalse(html.lowercased().contains("<script"), "a class name must never become a script element")
            XCTAssertFalse(html.contains("<b>x</b>"), "attack parameters are escaped")
            XCTAssertFalse(html.contains("<fixture>"), "model names are escaped")
        }
        let html = RunReport.html(r)
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the escaped class name is shown")
        XCTAssertTrue(html.contains("Bag &amp; &quot;Co&quot;"))
        XCTAssertTrue(html.contains("&lt;sign of gradient masking&gt;"))
        // Inside SVG too: the per-class bar's label and hover title.
        let svgs = html.components(separatedBy: "<svg").dropFirst().map { $0.components(separatedBy: "</svg>")[0] }
        XCTAssertTrue(svgs.contains { $0.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; (label 1)") })
    }

    func testPagesAreSelfContained() {
        let r = ReportFixture.results()
        for html in [RunReport.html(r), ComparisonReport.html([r, r])] {
            let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
            XCTAssertFalse(withoutNamespace.contains("http://"))
            XCTAssertFalse(withoutNamespace.contains("https://"))
            XCTAssertFalse(html.contains("<link"))
            XCTAssertFalse(html.contains("url("), "no CSS fetches")
            let sources = html.components(separatedBy: "src=\"").dropFirst()
            XCTAssertTrue(sources.allSatisfy { $0.hasPrefix("data:image/png;base64,") }, "every image is embedded")
        }
    }

    func testGalleryEmbedsCleanAdversarialAndAmplifiedPerturbation() throws {
        let r = ReportFixture.results()
        let images = embeddedPNGs(RunReport.html(r))
        XCTAssertEqual(images.count, 3 * r.examples.count)
        let gray = r.examples[0]
        let clean = try XCTUnwrap(images[0]), adv = try XCTUnwrap(images[1]), delta = try XCTUnwrap(images[2])
        XCTAssertEqual(clean.bytes, gray.cleanPixels)
        XCTAssertEqual(adv.bytes, gray.advPixels)
        // ±12 checkerboard amplified to the full range around 128.
        XCTAssertEqual(Set(delta.bytes), [0, 255])
        XCTAssertEqual(delta.bytes[0], 255)
        // RGB: C×H×W planes come out interleaved; the one changed value is the only non-128 of the perturbation.
        let rgb = try XCTUnwrap(images[5])
        XCTAssertEqual(rgb.channels, 3)
        XCTAssertEqual(Array(try XCTUnwrap(images[3]).bytes.prefix(3)), [200, 100, 50])
        XCTAssertEqual(rgb.bytes.filter { $0 != 128 }, [255])
        XCTAssertEqual(rgb.bytes[9 * 3 + 1], 255)
    }

    func testPerClassUsesTheWorstCaseAtTheMiddleEpsilon() {
        let r = ReportFixture.results()
        // L∞ grid 0…0.2: the middle is 0.1. Class 1 by hand: robust only if every attack's record is robust.
        let eps = 0.1
        let class1 = Set(r.samples.filter { $0.norm == "linf" && $0.eps == eps && $0.label == 1 }.map(\.index))
        let robust = class1.filter { index in
            r.samples.filter { $0.norm == "linf" && $0.eps == eps && $0.index == index }.allSatisfy(\.isRobust)
        }
        let html = RunReport.html(r)
        XCTAssertTrue(html.contains("<h3>L∞ at ε = 0.1</h3>"))
        XCTAssertTrue(html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; (label 1): robust "
                                    + String(format: "%.1f%%", 100 * Double(robust.count) / Double(class1.count))
                                    + " (\(robust.count)/\(class1.count))"))
        // An explicit ε picks the closest grid value of each norm.
        XCTAssertTrue(RunReport.html(r, perClassEps: 0.04).contains("<h3>L∞ at ε = 0.05</h3>"))
        XCTAssertTrue(RunReport.html(r, perClassEps: 0.04).contains("<h3>L2 at ε = 0</h3>"))
    }

    /// Compares `text` with `Golden/<name>` beside this file; `ROBUST_RECORD_GOLDEN=1` re-records it.
    private func assertMatchesGolden(_ text: String, named name: String, file: StaticString = #filePath, line: UInt = #line) {
        let url = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Golden").appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["ROBUST_RECORD_GOLDEN"] == "1" {
            XCTAssertNoThrow(try text.write(to: url, atomically: true, encoding: .utf8), file: file, line: line)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            XCTFail("no golden file \(url.path); record it with ROBUST_RECORD_GOLDEN=1", file: file, line: line)
            return
        }
        XCTAssertEqual(text, expected, "\(name) differs; if the change is intended, re-record with ROBUST_RECORD_GOLDEN=1",
                       file: file, line: line)
    }
}
