import Foundation

/// The version written into results, model cards and `robust --version`.
public let toolVersion = "0.1.0"

/// An error the CLI reports as one line with a fixed exit code (see ARCHITECTURE.md).
///
/// Library errors (a corrupt IDX file, a bad checkpoint) are wrapped into `.badInput` by the
/// command that met them, so every failure a user can cause ends in exit 2 or 3, never a trap.
public enum ToolError: Error, CustomStringConvertible, Equatable {
    /// A bad flag value or an unknown name: exit 2.
    case usage(String)
    /// A missing or corrupt file, a shape mismatch: exit 3.
    case badInput(String)
    /// A CI gate's requirement failed: exit 1.
    case gateFailed(String)

    public var exitCode: Int32 {
        switch self {
        case .gateFailed: return 1
        case .usage: return 2
        case .badInput: return 3
        }
    }

    public var description: String {
        switch self {
        case .usage(let s), .badInput(let s), .gateFailed(let s): return s
        }
    }
}

/// An error message as one terminal line: surrounding whitespace trimmed, and control characters
/// inside it (a newline or NUL in a quoted flag value or file name, an escape sequence) written as
/// Swift escapes (`\n`, `\u{1B}`), so hostile text can neither break the line nor drive the terminal.
public func singleLine(_ message: String) -> String {
    var out = ""
    for scalar in message.trimmingCharacters(in: .whitespacesAndNewlines).unicodeScalars {
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            let isControl = scalar.properties.generalCategory == .control
                || scalar.properties.generalCategory == .lineSeparator || scalar.properties.generalCategory == .paragraphSeparator
            out += isControl ? "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" : String(scalar)
        }
    }
    return out
}

/// The first line of a library's error: Yams follows its message with the offending line and a
/// caret under it, which a one-line error cannot show.
public func firstLine(of error: Error) -> String {
    "\(error)".split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? "\(error)"
}
