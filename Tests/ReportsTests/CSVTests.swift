import Foundation
import Metrics
import Reports
import XCTest

/// curve.csv and samples.csv: exact headers, exact rows, RFC 4180 quoting, stable bytes.
final class CSVTests: XCTestCase {
    /// Results with only the given curve and samples; the other fields do not reach the CSVs.
    private func results(curve: [CurvePoint], samples: [SampleRecord]) -> RunResults {
        var r = ReportFixture.results()
        r.curve = curve
        r.samples = samples
        return r
    }

    func testCurveCSVHeaderAndRows() {
        let r = results(curve: [
            CurvePoint(attack: "pgd,v2", norm: "linf", eps: 0.1, n: 20, cleanAcc: 0.9, robustAcc: 0.35, ciLow: 0.1812, ciHigh: 0.5671,
                       successRate: 0.6111111111111112, medianNorm: 0.1, maxNorm: 0.1, queries: 400, seconds: 1.5),
            CurvePoint(attack: "worst", norm: "l2", eps: 1, n: 20, cleanAcc: 0.9, robustAcc: 0, ciLow: 0, ciHigh: 0.161,
                       successRate: 1, medianNorm: 0.00001, maxNorm: 1, queries: 0, seconds: 0),
        ], samples: [])
        XCTAssertEqual(r.curveCSV(), """
        attack,norm,eps,n,clean_acc,robust_acc,ci_low,ci_high,success_rate,median_norm,max_norm,queries,seconds
        "pgd,v2",linf,0.1,20,0.9,0.35,0.1812,0.5671,0.6111111111111112,0.1,0.1,400,1.5
        worst,l2,1.0,20,0.9,0.0,0.0,0.161,1.0,1e-05,1.0,0,0.0

        """)
    }

    func testSamplesCSVHeaderAndRows() {
        let r = results(curve: [], samples: [
            SampleRecord(index: 3, label: 1, attack: "say \"hi\"", norm: "linf", eps: 0.05, cleanPred: 1, advPred: 2,
                         success: true, linf: 0.05, l2: 0.2),
            SampleRecord(index: 40, label: 0, attack: "fgsm", norm: "linf", eps: 8.0 / 255, cleanPred: 0, advPred: 0,
                         success: false, linf: 0.01, l2: 0.125),
        ])
        XCTAssertEqual(r.samplesCSV(), #"""
        index,label,attack,norm,eps,clean_pred,adv_pred,success,linf,l2
        3,1,"say ""hi""",linf,0.05,1,2,1,0.05,0.2
        40,0,fgsm,linf,0.03137254901960784,0,0,0,0.01,0.125

        """#)
    }

    func testEveryCurvePointAndSampleHasARowAndTheBytesAreStable() {
        let r = ReportFixture.results()
        let curve = r.curveCSV(), samples = r.samplesCSV()
        XCTAssertEqual(curve.split(separator: "\n").count, r.curve.count + 1)
        XCTAssertEqual(samples.split(separator: "\n").count, r.samples.count + 1)
        XCTAssertTrue(curve.hasPrefix(RunResults.curveCSVHeader + "\n"))
        XCTAssertTrue(samples.hasPrefix(RunResults.samplesCSVHeader + "\n"))
        XCTAssertEqual(ReportFixture.results().curveCSV(), curve)
        XCTAssertEqual(ReportFixture.results().samplesCSV(), samples)
        // Worst-case rows are included, after the attacks', as in results.json.
        XCTAssertTrue(curve.split(separator: "\n").last!.hasPrefix("worst,linf,0.2,"))
    }

    func testWriteRunReportWritesTheThreeFilesAndNoTemporaries() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("robust-report-\(UUID().uuidString)/run").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
        let r = ReportFixture.results()
        try writeRunReport(r, to: directory)
        try writeRunReport(r, to: directory) // overwriting works too
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        XCTAssertEqual(files, ["curve.csv", "index.html", "samples.csv"])
        XCTAssertEqual(FileManager.default.contents(atPath: directory + "/curve.csv"), Data(r.curveCSV().utf8))
        XCTAssertEqual(FileManager.default.contents(atPath: directory + "/index.html"), Data(RunReport.html(r).utf8))
    }
}
