import Foundation
import Reports
import XCTest

/// Renders the run report in headless chromium: the screenshot must not be blank and the DOM
/// must hold the inline SVG plots. Catches what string checks cannot: markup a browser rejects,
/// a style that hides everything, a CSP that blocks the images.
///
/// `ROBUST_KEEP_REPORT=DIR` writes the report and `screenshot.png` into DIR and keeps them, to
/// look at the rendering.
final class HeadlessBrowserTests: XCTestCase {
    static let chromium = "/usr/bin/chromium"

    func testReportRendersInHeadlessChromium() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.chromium) else {
            throw XCTSkip("\(Self.chromium) not found; `make setup` installs it (Debian package chromium)")
        }
        let directory: String
        if let keep = ProcessInfo.processInfo.environment["ROBUST_KEEP_REPORT"] {
            directory = keep
        } else {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("robust-chromium-\(UUID().uuidString)").path
            addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        }
        try writeRunReport(ReportFixture.results(), to: directory)
        let page = URL(fileURLWithPath: directory).appendingPathComponent("index.html").absoluteString
        let screenshot = (directory as NSString).appendingPathComponent("screenshot.png")
        let profile = (directory as NSString).appendingPathComponent(".chromium-profile")
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(profile)"]

        _ = try run(common + ["--screenshot=\(screenshot)", "--window-size=1200,2000", page])
        let png = try XCTUnwrap(FileManager.default.contents(atPath: screenshot), "chromium wrote no screenshot")
        let image = try XCTUnwrap(decodeTestPNG([UInt8](png)), "the screenshot is not a readable PNG")
        XCTAssertEqual([image.width, image.height], [1200, 2000])
        var nonWhite = 0
        for pixel in 0..<(image.width * image.height) {
            let base = pixel * image.channels
            if (0..<min(3, image.channels)).contains(where: { image.bytes[base + $0] < 245 }) { nonWhite += 1 }
        }
        XCTAssertGreaterThan(Double(nonWhite) / Double(image.width * image.height), 0.01, "the screenshot is blank")

        let dom = try run(common + ["--dump-dom", page])
        XCTAssertTrue(dom.contains("<svg"), "the DOM has no inline SVG")
        XCTAssertTrue(dom.contains("<polyline"), "the DOM has no curve")
    }

    /// Runs chromium with a 90-second limit (coreutils `timeout`), returning its stdout.
    private func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["90", Self.chromium] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "chromium \(arguments.last!) exited with \(process.terminationStatus) (124: timed out)")
        return String(decoding: data, as: UTF8.self)
    }
}
