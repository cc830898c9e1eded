import Foundation

/// The MNIST family: IDX files (plain or gzip'd), 28×28 gray images, ten classes.
extension Dataset {
    /// Fashion-MNIST class names, by label (Xiao et al. 2017).
    public static let fashionMNISTClassNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// MNIST class names: the digits.
    public static let mnistClassNames = (0..<10).map(String.init)

    /// Where Debian's `dataset-fashion-mnist` package puts the files, then other usual places.
    public static let fashionMNISTSearchPath = [
        "/usr/share/datasets/fashion-mnist",
        "/usr/local/share/datasets/fashion-mnist",
        "data/fashion-mnist",
    ]

    /// Usual places for MNIST, mirroring the Fashion-MNIST layout.
    public static let mnistSearchPath = [
        "/usr/share/datasets/mnist",
        "/usr/local/share/datasets/mnist",
        "data/mnist",
    ]

    /// Loads a Fashion-MNIST split from `directory`, or from the first of `fashionMNISTSearchPath` that has it.
    public static func loadFashionMNIST(split: DatasetSplit, directory: String? = nil) throws -> Dataset {
        try loadIDXPair(name: "fashion-mnist", classNames: fashionMNISTClassNames, split: split,
                        directory: directory, searchPath: fashionMNISTSearchPath,
                        install: "Install it with `apt-get install dataset-fashion-mnist` or pass --data DIR")
    }

    /// Loads an MNIST split from `directory`, or from the first of `mnistSearchPath` that has it.
    public static func loadMNIST(split: DatasetSplit, directory: String? = nil) throws -> Dataset {
        try loadIDXPair(name: "mnist", classNames: mnistClassNames, split: split,
                        directory: directory, searchPath: mnistSearchPath,
                        install: "Download MNIST and pass --data DIR")
    }

    /// Shared loader for the two IDX datasets: find the files, parse both, check they agree.
    static func loadIDXPair(name: String, classNames: [String], split: DatasetSplit, directory: String?,
                            searchPath: [String], install: String) throws -> Dataset {
        let prefix = split == .train ? "train" : "t10k"
        let imageBase = "\(prefix)-images-idx3-ubyte"
        let labelBase = "\(prefix)-labels-idx1-ubyte"
        let hint = "\(install) with \(imageBase)(.gz) and \(labelBase)(.gz) files"
        let candidates = directory.map { [$0] } ?? searchPath
        func locate(_ base: String, in dir: String) -> String? {
            [base, base + ".gz"].map { (dir as NSString).appendingPathComponent($0) }
                .first { FileManager.default.fileExists(atPath: $0) }
        }
        guard let dir = candidates.first(where: { locate(imageBase, in: $0) != nil }),
              let imagePath = locate(imageBase, in: dir) else {
            let looked = (candidates[0] as NSString).appendingPathComponent(imageBase + ".gz")
            throw DatasetError.missing(dataset: name, path: looked, hint: hint)
        }
        guard let labelPath = locate(labelBase, in: dir) else {
            throw DatasetError.missing(dataset: name, path: (dir as NSString).appendingPathComponent(labelBase + ".gz"),
                                       hint: hint)
        }
        let images = try readIDX(path: imagePath, expectedDims: 3)
        let labels = try readIDX(path: labelPath, expectedDims: 1)
        guard images.dims[0] == labels.dims[0] else {
            throw DatasetError.corrupt(path: labelPath,
                                       reason: "has \(labels.dims[0]) labels but \(imagePath) has \(images.dims[0]) images",
                                       fix: "Use the label file of the same split and release as the images")
        }
        var labelValues = [Int](repeating: 0, count: labels.data.count)
        for (i, byte) in labels.data.enumerated() {
            guard Int(byte) < classNames.count else {
                throw DatasetError.corrupt(path: labelPath,
                                           reason: "label \(byte) of sample \(i) is not in 0..<\(classNames.count)",
                                           fix: "The file is damaged or not a \(name) label file; re-download it")
            }
            labelValues[i] = Int(byte)
        }
        return Dataset(name: name, classNames: classNames, channels: 1,
                       height: images.dims[1], width: images.dims[2],
                       pixels: images.data, labels: labelValues)
    }
}

/// The contents of one IDX file of unsigned bytes: its dimensions and its data.
public struct IDXArray {
    public var dims: [Int]
    public var data: [UInt8]
}

/// Reads an IDX file of unsigned bytes (type 0x08), gzip'd or plain, checking everything the header claims.
///
/// Layout: magic `00 00 08 D` (D = number of dimensions), D big-endian UInt32 sizes, then the
/// bytes in row-major order; `0x00000803` is an image file, `0x00000801` a label file.
func readIDX(path: String, expectedDims: Int) throws -> IDXArray {
    guard let raw = try FileBytes.read(path) else {
        throw DatasetError.missing(dataset: "idx", path: path, hint: "Pass --data DIR with the IDX files")
    }
    return try decodeIDX(raw, path: path, expectedDims: expectedDims)
}

/// Decodes the bytes of an IDX file, gzip'd or plain; `path` only names it in errors.
public func decodeIDX(_ raw: [UInt8], path: String, expectedDims: Int) throws -> IDXArray {
    try parseIDX(FileBytes.isGzip(raw) ? try gunzip(raw, path: path) : raw, path: path, expectedDims: expectedDims)
}

/// Parses decompressed IDX bytes; separate from `readIDX` so the checks read in one place.
func parseIDX(_ bytes: [UInt8], path: String, expectedDims: Int) throws -> IDXArray {
    let kind = expectedDims == 1 ? "label" : "image"
    let fix = "Pass the IDX \(kind) file (magic 0x0000080\(expectedDims)); re-download it if it is damaged"
    guard bytes.count >= 4 else {
        throw DatasetError.corrupt(path: path, reason: "too short for an IDX header (\(bytes.count) bytes)", fix: fix)
    }
    let magic = bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    guard magic == 0x0000_0800 | UInt32(expectedDims) else {
        throw DatasetError.corrupt(path: path,
                                   reason: "magic number 0x\(String(magic, radix: 16)) is not an IDX \(kind) file's 0x80\(expectedDims)",
                                   fix: fix)
    }
    let headerSize = 4 + 4 * expectedDims
    guard bytes.count >= headerSize else {
        throw DatasetError.corrupt(path: path, reason: "truncated IDX header (\(bytes.count) bytes)", fix: fix)
    }
    var dims: [Int] = []
    var total = 1
    for d in 0..<expectedDims {
        let size = bytes[(4 + 4 * d)..<(8 + 4 * d)].reduce(0) { $0 << 8 | Int($1) }
        let (product, overflow) = total.multipliedReportingOverflow(by: size)
        guard size > 0, !overflow else {
            throw DatasetError.corrupt(path: path, reason: "dimension \(d) has invalid size \(size)", fix: fix)
        }
        dims.append(size)
        total = product
    }
    guard bytes.count - headerSize == total else {
        let shape = dims.map(String.init).joined(separator: "×")
        throw DatasetError.corrupt(path: path,
                                   reason: "header says \(shape) = \(total) bytes of data but the file has \(bytes.count - headerSize)"
                                       + (bytes.count - headerSize < total ? " (truncated)" : ""),
                                   fix: fix)
    }
    return IDXArray(dims: dims, data: Array(bytes[headerSize...]))
}
