import Datasets

/// Fashion-MNIST's train and test splits, read once for the training tests that share them.
enum FashionMNISTSplits {
    private static var cached: (train: Dataset, test: Dataset)?

    static func load() throws -> (train: Dataset, test: Dataset) {
        if let cached { return cached }
        let loaded = (try Dataset.loadFashionMNIST(split: .train), try Dataset.loadFashionMNIST(split: .test))
        cached = loaded
        return loaded
    }
}
