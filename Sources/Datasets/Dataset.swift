import TensorCore

/// The two standard partitions of a dataset; robust evaluates on `.test` by default.
public enum DatasetSplit: String, Sendable, CaseIterable {
    /// The training partition (`train-*`, `data_batch_*`).
    case train
    /// The held-out partition (`t10k-*`, `test_batch`).
    case test
}

/// A labelled image dataset held in memory as 8-bit pixels.
///
/// Pixels stay bytes (N×C×H×W, row-major) because every supported format is 8-bit: this keeps
/// the full Fashion-MNIST training set at 47 MB instead of 188 MB as Float. `batches` converts to
/// Float in [0,1] (`byte / 255`, exact for every byte) one batch at a time.
public struct Dataset: Sendable {
    /// Short identifier recorded in results.json (`fashion-mnist`, `cifar10`, a folder name).
    public let name: String
    /// Class names by label: `classNames[label]`.
    public let classNames: [String]
    /// Channels per image (1 gray, 3 RGB).
    public let channels: Int
    /// Image height in pixels.
    public let height: Int
    /// Image width in pixels.
    public let width: Int
    /// All images, N×C×H×W bytes; sample `i` starts at `i * sampleSize`.
    public let pixels: [UInt8]
    /// Label of each sample, in `0..<classNames.count`.
    public let labels: [Int]

    /// Assembles a dataset; the counts must agree (a loader bug otherwise, hence a precondition).
    public init(name: String, classNames: [String], channels: Int, height: Int, width: Int,
                pixels: [UInt8], labels: [Int]) {
        precondition(channels > 0 && height > 0 && width > 0, "Dataset: empty image shape")
        precondition(pixels.count == labels.count * channels * height * width,
                     "Dataset: \(pixels.count) pixel bytes for \(labels.count) samples of \(channels)×\(height)×\(width)")
        precondition(labels.allSatisfy { (0..<classNames.count).contains($0) }, "Dataset: label out of range")
        self.name = name
        self.classNames = classNames
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
    }

    /// Number of samples.
    public var count: Int { labels.count }

    /// Elements per image, C·H·W.
    public var sampleSize: Int { channels * height * width }

    /// One image as a 1×C×H×W tensor in [0,1]: handy for reports and spot checks.
    public func image(at index: Int) -> Tensor {
        batches(indices: [index], batchSize: 1)[0].x
    }

    /// The given samples cut into batches of `batchSize` in the order given (the last may be smaller).
    ///
    /// Order is exactly `indices`, so a run is reproducible and shards can be merged by global
    /// index. Indices must be valid (`selectFirst` and `loadIndices` check them).
    public func batches(indices: [Int], batchSize: Int) -> Batches {
        precondition(batchSize > 0, "batches: batchSize must be positive, got \(batchSize)")
        precondition(indices.allSatisfy { (0..<count).contains($0) },
                     "batches: sample index out of range 0..<\(count)")
        return Batches(dataset: self, indices: indices, batchSize: batchSize)
    }
}

/// Samples ready for a classifier: pixels in [0,1], NCHW, with their labels and global indices.
public struct Batch: Sendable {
    /// Images, shape `[n, C, H, W]`, values `byte / 255`.
    public let x: Tensor
    /// Label of each image.
    public let labels: [Int]
    /// Global sample index of each image: the key for per-sample randomness and records.
    public let indices: [Int]
}

/// The batches of a selection, built lazily so only one batch of Float pixels exists at a time.
///
/// A random-access collection (not only a sequence) so the harness can shard or parallelise
/// over batch numbers.
public struct Batches: RandomAccessCollection, Sendable {
    let dataset: Dataset
    let indices: [Int]
    let batchSize: Int

    /// Batch numbers start at 0.
    public var startIndex: Int { 0 }
    /// One past the last batch: `ceil(indices.count / batchSize)`.
    public var endIndex: Int { (indices.count + batchSize - 1) / batchSize }

    /// Batch number `position`: samples `indices[position*batchSize ..< min(.., indices.count)]`.
    public subscript(position: Int) -> Batch {
        precondition((0..<endIndex).contains(position), "Batches: batch \(position) out of range 0..<\(endIndex)")
        let chosen = Array(indices[(position * batchSize)..<Swift.min((position + 1) * batchSize, indices.count)])
        let size = dataset.sampleSize
        var x = [Float](repeating: 0, count: chosen.count * size)
        dataset.pixels.withUnsafeBufferPointer { src in
            x.withUnsafeMutableBufferPointer { dst in
                for (row, sample) in chosen.enumerated() {
                    for j in 0..<size {
                        dst[row * size + j] = Float(src[sample * size + j]) / 255
                    }
                }
            }
        }
        return Batch(x: Tensor(shape: [chosen.count, dataset.channels, dataset.height, dataset.width], storage: x),
                     labels: chosen.map { dataset.labels[$0] },
                     indices: chosen)
    }
}
