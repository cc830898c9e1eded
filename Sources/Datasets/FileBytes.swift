import CZlib
import Foundation

/// Whole-file reads that turn "absent" and "unreadable" into `DatasetError`s instead of traps.
enum FileBytes {
    /// The bytes of `path`, or nil when no such file exists (the caller knows the right hint).
    static func read(_ path: String) throws -> [UInt8]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError.corrupt(path: path, reason: "cannot be read as a file",
                                       fix: "Check that it is a regular file and readable")
        }
        return [UInt8](data)
    }

    /// True when `bytes` start with the gzip magic number (1f 8b).
    static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }
}

/// Decompresses a gzip stream (all members) with zlib, so `.gz` datasets load without a shell-out.
///
/// `inflateInit2` with `16 + MAX_WBITS` makes zlib read and check the gzip header and CRC.
/// `path` only names the file in errors. Output beyond `limit` bytes is refused, so a small forged
/// file (a "zip bomb": gzip reaches ratios of 1000:1) cannot demand gigabytes.
func gunzip(_ input: [UInt8], path: String, limit: Int = maxDecompressedBytes) throws -> [UInt8] {
    func fail(_ reason: String) -> DatasetError {
        .corrupt(path: path, reason: "gzip data is damaged (\(reason))",
                 fix: "Re-download the file or decompress it with gunzip to check it")
    }
    var stream = z_stream()
    guard inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw fail("zlib could not start")
    }
    defer { inflateEnd(&stream) }
    var output: [UInt8] = []
    output.reserveCapacity(input.count * 4)
    let chunkSize = 1 << 20
    var chunk = [UInt8](repeating: 0, count: chunkSize)
    try input.withUnsafeBufferPointer { inBuffer in
        stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
        stream.avail_in = UInt32(inBuffer.count)
        while true {
            let status: Int32 = chunk.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(chunkSize)
                return inflate(&stream, Z_NO_FLUSH)
            }
            output.append(contentsOf: chunk[0..<(chunkSize - Int(stream.avail_out))])
            guard output.count <= limit else {
                throw DatasetError.corrupt(path: path, reason: "decompresses to more than \(limit >> 20) MiB",
                                           fix: "robust reads IDX files of at most \(limit >> 20) MiB; check that this is the right file")
            }
            switch status {
            case Z_OK:
                if stream.avail_in == 0 && stream.avail_out != 0 { throw fail("truncated stream") }
            case Z_STREAM_END:
                // Concatenated gzip members are legal; anything else after the end is not.
                if stream.avail_in == 0 { return }
                guard inflateReset(&stream) == Z_OK else { throw fail("zlib reset failed") }
            case Z_BUF_ERROR:
                throw fail("truncated stream")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw fail(message)
            }
        }
    }
    return output
}

/// The most a gzip'd dataset file may decompress to (EMNIST's largest image file is 550 MB).
let maxDecompressedBytes = 1 << 30
