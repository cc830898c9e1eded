/// A model that cannot be built or found by name: a usage error (exit 2), unlike a bad
/// checkpoint file (`CheckpointError`, exit 3). The message is one line saying what and how to fix it.
public struct ModelError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
