import Foundation

extension Dataset {
    /// CIFAR-10 class names, by label.
    public static let cifar10ClassNames = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]

    /// Bytes per CIFAR-10 record: 1 label byte, then the R, G and B planes of a 32×32 image.
    static let cifarRecordSize = 1 + 3 * 32 * 32

    /// Loads the CIFAR-10 binary version: `data_batch_1..5.bin` (train) or `test_batch.bin` (test).
    ///
    /// The record's pixels are already C×H×W (R plane, G plane, B plane), the tensor layout, so
    /// they are copied as is. `directory` may also be the parent of `cifar-10-batches-bin`, the
    /// folder the official archive unpacks to.
    public static func loadCIFAR10(split: DatasetSplit, directory: String) throws -> Dataset {
        let files = split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
        let nested = (directory as NSString).appendingPathComponent("cifar-10-batches-bin")
        let dir = FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(files[0]))
            || !FileManager.default.fileExists(atPath: nested) ? directory : nested
        var pixels: [UInt8] = []
        var labels: [Int] = []
        for file in files {
            let path = (dir as NSString).appendingPathComponent(file)
            guard let bytes = try FileBytes.read(path) else {
                throw DatasetError.missing(dataset: "cifar10", path: path,
                                           hint: "Unpack cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and pass --data DIR")
            }
            try parseCIFARRecords(bytes, path: path, pixels: &pixels, labels: &labels)
        }
        return Dataset(name: "cifar10", classNames: cifar10ClassNames, channels: 3, height: 32, width: 32,
                       pixels: pixels, labels: labels)
    }

    /// Appends the records of one CIFAR-10 batch file, checking its length and labels.
    public static func parseCIFARRecords(_ bytes: [UInt8], path: String, pixels: inout [UInt8], labels: inout [Int]) throws {
        let fix = "Use the CIFAR-10 *binary* version (records of 1 label byte + 3072 pixel bytes); re-download it if damaged"
        guard !bytes.isEmpty, bytes.count % cifarRecordSize == 0 else {
            throw DatasetError.corrupt(path: path,
                                       reason: "length \(bytes.count) is not a positive multiple of the \(cifarRecordSize)-byte record",
                                       fix: fix)
        }
        for record in 0..<(bytes.count / cifarRecordSize) {
            let start = record * cifarRecordSize
            guard bytes[start] < 10 else {
                throw DatasetError.corrupt(path: path, reason: "record \(record) has label \(bytes[start]), not in 0..<10",
                                           fix: fix)
            }
            labels.append(Int(bytes[start]))
            pixels.append(contentsOf: bytes[(start + 1)..<(start + cifarRecordSize)])
        }
    }
}
