import Files
import Foundation
import TensorCore

/// The safetensors checkpoint format: `u64 little-endian header length`, a JSON header
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
/// then the raw little-endian data. It is what PyTorch and Hugging Face use for untrusted
/// weights because, unlike pickle, loading it cannot run code.
///
/// robust writes Float32 tensors (`F32`) and integer counters (`I64`, e.g. BatchNorm's
/// `num_batches_tracked`, which PyTorch keeps as int64), names sorted, header padded with
/// spaces to a multiple of 8 so the data stays aligned.
public enum SafeTensors {
    /// One stored tensor. Integer tensors are kept as integers so a round trip is exact.
    public enum Entry: Equatable, Sendable {
        case f32(Tensor)
        case i64(shape: [Int], values: [Int64])

        public var shape: [Int] {
            switch self {
            case .f32(let t): return t.shape
            case .i64(let shape, _): return shape
            }
        }
    }

    /// A parsed file: tensors by name and the free-form string metadata.
    public struct File: Equatable, Sendable {
        public var entries: [String: Entry]
        public var metadata: [String: String]

        public init(entries: [String: Entry], metadata: [String: String] = [:]) {
            self.entries = entries
            self.metadata = metadata
        }

        /// The Float32 tensor called `name`, or nil (an I64 entry is converted).
        public func tensor(_ name: String) -> Tensor? {
            switch entries[name] {
            case .f32(let t): return t
            case .i64(let shape, let values): return Tensor(shape: shape, storage: values.map { Float($0) })
            case nil: return nil
            }
        }
    }

    /// Largest header accepted (100 MiB, as the reference implementation): a hostile length
    /// field must not make us allocate gigabytes.
    public static let maxHeaderBytes = 100 << 20

    /// Serialises `file`; deterministic (sorted names, fixed number formatting).
    public static func encode(_ file: File) -> Data {
        var header = "{"
        var parts: [String] = []
        if !file.metadata.isEmpty {
            let meta = file.metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(file.metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(meta.joined(separator: ","))}")
        }
        var offset = 0
        var payload = Data()
        for name in file.entries.keys.sorted() {
            let entry = file.entries[name]!
            let bytes: Data
            let dtype: String
            switch entry {
            case .f32(let t):
                dtype = "F32"
                bytes = t.storage.map { $0.bitPattern.littleEndian }.withUnsafeBufferPointer { Data(buffer: $0) }
            case .i64(_, let values):
                dtype = "I64"
                bytes = values.map { $0.littleEndian }.withUnsafeBufferPointer { Data(buffer: $0) }
            }
            let shape = entry.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(name)):{\"dtype\":\"\(dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes.count)]}")
            offset += bytes.count
            payload.append(bytes)
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Data(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out = Data()
        var length = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(headerBytes)
        out.append(payload)
        return out
    }

    /// Parses and validates a safetensors file: header size bounded and inside the file, JSON
    /// well-formed, known dtypes, offsets inside the data and consistent with the shapes,
    /// tensors covering the data without gaps or overlap. `source` names the file in errors.
    public static func decode(_ data: Data, source: String) throws -> File {
        func fail(_ why: String) -> CheckpointError { CheckpointError(path: source, reason: why) }
        guard data.count >= 8 else { throw fail("file is \(data.count) bytes, shorter than the 8-byte header length (truncated?)") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(maxHeaderBytes) else { throw fail("header length \(headerLength) exceeds the \(maxHeaderBytes)-byte limit (not a safetensors file?)") }
        guard 8 + Int(headerLength) <= data.count else {
            throw fail("header claims \(headerLength) bytes but the file has only \(data.count - 8) after the length field (truncated?)")
        }
        let headerData = data.subdata(in: data.startIndex + 8 ..< data.startIndex + 8 + Int(headerLength))
        guard let json = try? JSONSerialization.jsonObject(with: headerData), let object = json as? [String: Any] else {
            throw fail("header is not a JSON object (corrupt file?)")
        }
        let body = data.subdata(in: data.startIndex + 8 + Int(headerLength) ..< data.endIndex)
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        var spans: [(Int, Int, String)] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let meta = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in meta {
                    guard let s = v as? String else { throw fail("__metadata__[\(k)] is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shapeAny = info["shape"] as? [Any], let offsetsAny = info["data_offsets"] as? [Any] else {
                throw fail("tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            let shape = try shapeAny.map { v -> Int in
                guard let n = (v as? NSNumber)?.intValue, n >= 0, n < 1 << 31 else { throw fail("tensor '\(name)' has an invalid shape \(shapeAny)") }
                return n
            }
            let offsets = try offsetsAny.map { v -> Int in
                guard let n = (v as? NSNumber)?.intValue, n >= 0 else { throw fail("tensor '\(name)' has invalid data_offsets \(offsetsAny)") }
                return n
            }
            guard offsets.count == 2, offsets[0] <= offsets[1], offsets[1] <= body.count else {
                throw fail("tensor '\(name)' data_offsets \(offsets) fall outside the \(body.count) data bytes (truncated?)")
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let r = acc.0.multipliedReportingOverflow(by: d); return (r.partialValue, acc.1 || r.overflow)
            }
            guard !overflow else { throw fail("tensor '\(name)' shape \(shape) is too large") }
            let size: Int
            switch dtype {
            case "F32": size = 4
            case "I64": size = 8
            case "F64": size = 8
            default: throw fail("tensor '\(name)' has dtype \(dtype); robust reads F32, F64 and I64")
            }
            guard offsets[1] - offsets[0] == count * size else {
                throw fail("tensor '\(name)' spans \(offsets[1] - offsets[0]) bytes but shape \(shape) of \(dtype) needs \(count * size)")
            }
            let bytes = body.subdata(in: body.startIndex + offsets[0] ..< body.startIndex + offsets[1])
            spans.append((offsets[0], offsets[1], name))
            switch dtype {
            case "F32":
                let values = bytes.withUnsafeBytes { raw in
                    (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
                }
                entries[name] = .f32(Tensor(shape: shape, storage: values))
            case "F64":
                let values = bytes.withUnsafeBytes { raw in
                    (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) }
                }
                entries[name] = .f32(Tensor(shape: shape, storage: values))
            default:
                let values = bytes.withUnsafeBytes { raw in
                    (0..<count).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
                }
                entries[name] = .i64(shape: shape, values: values)
            }
        }
        // The format requires the tensors to tile the data exactly: no gaps, no overlaps.
        var end = 0
        for (lo, hi, name) in spans.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            guard lo == end else { throw fail("tensor '\(name)' starts at byte \(lo), expected \(end): data has a gap or overlap") }
            end = hi
        }
        guard end == body.count else { throw fail("\(body.count - end) trailing data bytes belong to no tensor") }
        return File(entries: entries, metadata: metadata)
    }

    /// Reads and validates a checkpoint file.
    public static func read(path: String) throws -> File {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError(path: path, reason: "not found; check the path, or list shipped models with `robust models`")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError(path: path, reason: "cannot be read (permissions?)")
        }
        return try decode(data, source: path)
    }

    /// Writes a checkpoint atomically (temporary file, then rename), so a crash never
    /// leaves half a checkpoint behind.
    public static func write(_ file: File, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try writeAtomically(encode(file), to: url.path)
        } catch {
            throw CheckpointError(path: path, reason: "cannot be written: \(error.localizedDescription)")
        }
    }

    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

/// A checkpoint that cannot be used, with the file and what is wrong, in one line.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }
    public var description: String { "checkpoint \(path): \(reason)" }
}
