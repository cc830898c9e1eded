import Datasets

/// The datasets the CLI knows by name, and how each is loaded: one explicit table.
public enum DatasetCatalog {
    /// Names accepted by `--dataset`.
    public static let names = ["fashion-mnist", "mnist", "cifar10", "imagefolder"]

    /// Loads `split` of the dataset called `name`, from `directory` when given (required for
    /// cifar10 and imagefolder). Every failure is a `ToolError`: an unknown name is a usage error
    /// (exit 2) that lists the known ones; a missing or corrupt file is bad input (exit 3).
    public static func load(_ name: String, directory: String?, split: DatasetSplit) throws -> Dataset {
        do {
            switch name {
            case "fashion-mnist": return try Dataset.loadFashionMNIST(split: split, directory: directory)
            case "mnist": return try Dataset.loadMNIST(split: split, directory: directory)
            case "cifar10":
                guard let directory else { throw ToolError.usage("--dataset cifar10 needs --data DIR (the folder with data_batch_*.bin and test_batch.bin)") }
                return try Dataset.loadCIFAR10(split: split, directory: directory)
            case "imagefolder":
                guard let directory else { throw ToolError.usage("--dataset imagefolder needs --data ROOT (with ROOT/<class>/*.png|jpg)") }
                return try Dataset.loadImageFolder(root: directory)
            default:
                throw ToolError.usage("unknown dataset '\(name)'; known datasets: \(names.joined(separator: ", "))")
            }
        } catch let error as DatasetError {
            throw ToolError.badInput("\(error)")
        }
    }

    /// Indices to use: the first `samples`, the ones listed in `indicesFile`, or all.
    public static func select(_ dataset: Dataset, samples: Int?, indicesFile: String?) throws -> [Int] {
        do {
            if let indicesFile { return try dataset.loadIndices(file: indicesFile) }
            return try dataset.selectFirst(samples)
        } catch let error as DatasetError {
            throw ToolError.badInput("\(error)")
        }
    }
}
