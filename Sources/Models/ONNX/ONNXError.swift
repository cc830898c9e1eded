/// An ONNX file robust cannot use: unreadable, hostile, or using an operator it does not support.
/// Bad input data (exit 3); the message names the file, the node and what to do.
public struct ONNXError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }
    /// One line whatever the file holds: line breaks and other control characters in its names are escaped.
    public var description: String {
        "ONNX model \(path): \(reason)".unicodeScalars.map { scalar in
            [.control, .lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory)
                ? scalar.escaped(asASCII: false) : String(scalar)
        }.joined()
    }
}
