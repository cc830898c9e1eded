/// An ONNX file robust cannot use: unreadable, hostile, or using an operator it does not support.
/// Bad input data (exit 3); the message names the file, the node and what to do.
public struct ONNXError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }
    public var description: String { "ONNX model \(path): \(reason)" }
}
