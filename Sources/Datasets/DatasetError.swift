/// Why a dataset could not be loaded, worded as one line that names the file and the fix.
///
/// The CLI prints `description` on stderr and exits with code 3 (bad input data), so every
/// case carries enough context to act on without a stack trace.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// A file or directory the dataset needs is absent; `hint` says how to get it.
    case missing(dataset: String, path: String, hint: String)
    /// A file exists but its contents are not what the format requires.
    case corrupt(path: String, reason: String, fix: String)
    /// An image does not match the size or channel count of the first image of its folder.
    case mismatchedImage(path: String, size: String, expected: String, firstPath: String)
    /// A line of an indices file is not a valid sample index.
    case badIndex(path: String, line: Int, reason: String)
    /// A subset request (such as `--samples N`) cannot be satisfied by the dataset.
    case badSelection(reason: String)

    /// The one line printed on stderr: what is wrong with which file, then how to fix it.
    public var description: String {
        switch self {
        case let .missing(dataset, path, hint):
            return "\(dataset): \(path) not found. \(hint)"
        case let .corrupt(path, reason, fix):
            return "\(path): \(reason). \(fix)"
        case let .mismatchedImage(path, size, expected, firstPath):
            return "\(path): image is \(size) but \(firstPath) is \(expected); "
                + "resize or convert all images of the folder to one size and channel count"
        case let .badIndex(path, line, reason):
            return "\(path):\(line): \(reason). Put one sample index per line (0-based, '#' starts a comment)"
        case let .badSelection(reason):
            return reason
        }
    }
}
