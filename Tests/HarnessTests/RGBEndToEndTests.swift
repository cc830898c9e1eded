import Attacks
import Datasets
import Foundation
import Harness
import Metrics
import Reports
import XCTest
import _TestSupport

/// Colour images end to end: an imported 3x32x32 ONNX model (the pre-activation ResNet fixture)
/// evaluated on an RGB PNG folder and on CIFAR-10 binaries, with the report's gallery in colour and
/// class names taken from the dataset.
final class RGBEndToEndTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let model = repository.appendingPathComponent("Tests/Fixtures/onnx/preact_resnet.onnx").path
    static let classFolders = ["0-tshirt", "1-trouser", "2-pullover", "3-dress", "4-coat", "5-sandal", "6-shirt", "7-sneaker", "8-bag", "9-boot"]
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("robust-rgb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// The first `count` images of the coloured Fashion-MNIST the fixture was trained on, as 3x32x32 planes.
    func colouredImages(_ count: Int) throws -> (pixels: [[UInt8]], labels: [Int]) {
        let grey = try Dataset.loadFashionMNIST(split: .test)
        let p = [[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240]]
        let q = [[0, 0, 0], [40, 40, 40], [90, 60, 30], [20, 40, 90], [60, 20, 60]]
        let images = (0..<count).map { i -> [UInt8] in
            var planes = [UInt8](repeating: 0, count: 3 * 32 * 32)
            for c in 0..<3 {
                for y in 2..<30 {
                    for x in 2..<30 {
                        let g = Int(grey.pixels[i * 784 + (y - 2) * 28 + (x - 2)])
                        planes[(c * 32 + y) * 32 + x] = UInt8((g * p[i % 7][c] + (255 - g) * q[(i / 7) % 5][c]) / 255)
                    }
                }
                for y in 0..<32 { for x in 0..<32 where !(2..<30).contains(y) || !(2..<30).contains(x) {
                    planes[(c * 32 + y) * 32 + x] = UInt8(q[(i / 7) % 5][c]) // the padding: background only
                } }
            }
            return planes
        }
        return (images, Array(grey.labels.prefix(count)))
    }

    func request(dataset: String, data: String) -> EvalRequest {
        EvalRequest(model: Self.model, dataset: dataset, dataDirectory: data,
                    attacks: [AttackSpec(id: "fgsm", attack: "fgsm", options: AttackOptions(), epsilons: [0, 0.02, 0.05])],
                    batchSize: 16, seed: 1, extraChecks: false)
    }

    func testRGBImageFolderThroughEvalAndColourGallery() throws {
        let (images, labels) = try colouredImages(40)
        let root = directory.appendingPathComponent("images")
        for (i, (planes, label)) in zip(images, labels).enumerated() {
            let folder = root.appendingPathComponent(Self.classFolders[label])
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var interleaved = [UInt8](repeating: 0, count: planes.count)
            for c in 0..<3 { for px in 0..<1024 { interleaved[px * 3 + c] = planes[c * 1024 + px] } }
            let png = try encodePNG(bytes: interleaved, width: 32, height: 32, channels: 3)
            try Data(png).write(to: folder.appendingPathComponent(String(format: "%03d.png", i)))
        }
        let results = try runEvaluation(request(dataset: "imagefolder", data: root.path), context: testContext, progress: false)
        XCTAssertEqual(results.dataset.channels, 3)
        XCTAssertEqual(results.dataset.classNames, Self.classFolders)
        XCTAssertEqual(results.model.format, "onnx")
        XCTAssertGreaterThan(results.clean.accuracy, 0.6, "the fixture classifies coloured Fashion-MNIST (85 % on 1000 images)")
        let example = try XCTUnwrap(results.examples.first, "no gallery example")
        XCTAssertEqual(example.channels, 3)
        let out = directory.appendingPathComponent("run").path
        try writeRun(results, to: out)
        let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        // The gallery's PNGs decode as colour images.
        let marker = "data:image/png;base64,"
        let start = try XCTUnwrap(html.range(of: marker)).upperBound
        let base64 = html[start...].prefix { $0 != "\"" }
        let decoded = try decodePNG([UInt8](try XCTUnwrap(Data(base64Encoded: String(base64)))), path: "gallery")
        XCTAssertEqual(decoded.channels, 3)
        XCTAssertTrue(html.contains("0-tshirt"), "class names from the folder names")
    }

    func testCIFARBinariesThroughEval() throws {
        let (images, labels) = try colouredImages(30)
        var bytes: [UInt8] = []
        for (planes, label) in zip(images, labels) { bytes.append(UInt8(label)); bytes += planes }
        let folder = directory.appendingPathComponent("cifar")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(bytes).write(to: folder.appendingPathComponent("test_batch.bin"))
        let results = try runEvaluation(request(dataset: "cifar10", data: folder.path), context: testContext, progress: false)
        XCTAssertEqual(results.dataset.name, "cifar10")
        XCTAssertEqual(results.dataset.classNames.first, "airplane", "class names come from the dataset")
        XCTAssertEqual(results.clean.n, 30)
        XCTAssertGreaterThan(results.clean.accuracy, 0.6)
    }
}
