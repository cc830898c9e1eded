import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The one home for writing files robust produces (results, reports, checkpoints, cards, journals)
// and for taking user paths apart.

/// Writes `data` to `path` through a temporary file in the same folder and a rename, so a
/// crash never leaves a half-written file behind.
///
/// POSIX `rename` replaces an existing file atomically. Not `FileManager.replaceItemAt`: on
/// Linux (swift-corelibs-foundation) it fails when the file exists and deletes the original.
public func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    try data.write(to: temporary)
    guard rename(temporary.path, url.path) == 0 else {
        let code = POSIXErrorCode(rawValue: errno) ?? .EIO
        try? FileManager.default.removeItem(at: temporary)
        throw POSIXError(code)
    }
}

/// The folder `path` is in: `a/b/c` -> `a/b`, `c` -> `.`, `/c` -> `/`. Foundation's
/// `NSString.deletingLastPathComponent` traps on one-character paths on Linux (`"0"`), and these are user input.
public func parentDirectory(of path: String) -> String {
    var trimmed = Substring(path)
    while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    guard let slash = trimmed.lastIndex(of: "/") else { return "." }
    return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
}
