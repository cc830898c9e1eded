import Foundation
import ONNXProto

/// A dimension of a shape known at load time: a number, or the batch size (unknown until run time).
enum Dim: Hashable, CustomStringConvertible {
    case batch
    case fixed(Int)

    var fixedValue: Int? { if case .fixed(let v) = self { return v } else { return nil } }
    var description: String { fixedValue.map(String.init) ?? "N" }
}

/// A tensor known when the model loads: an initializer, a `Constant`, or a folded subgraph such
/// as the `Shape -> Gather -> Unsqueeze -> Concat` chain `x.view(x.size(0), -1)` exports.
///
/// Integer tensors hold `Dim`s, so a shape read from a runtime tensor keeps its batch size
/// symbolic while everything else about it folds.
struct Constant {
    enum Values {
        case float([Float])
        case int([Dim])
    }

    var shape: [Int]
    var values: Values

    var count: Int { shape.reduce(1, *) }

    init(shape: [Int], values: Values) {
        self.shape = shape
        self.values = values
    }

    init(_ tensor: Tensor) { self.init(shape: tensor.shape, values: .float(tensor.storage)) }

    init(ints: [Int], shape: [Int]? = nil) { self.init(shape: shape ?? [ints.count], values: .int(ints.map { .fixed($0) })) }

    /// The float values (integers converted), or nil when an element is the symbolic batch size.
    var floats: [Float]? {
        switch values {
        case .float(let f): return f
        case .int(let d): return d.allSatisfy { $0.fixedValue != nil } ? d.map { Float($0.fixedValue!) } : nil
        }
    }

    /// The values as a `Tensor`, when they are all numbers.
    var tensor: Tensor? { floats.map { Tensor(shape: shape, storage: $0) } }

    /// The integer values, or nil for floats that are not whole numbers.
    var dims: [Dim]? {
        switch values {
        case .int(let d): return d
        case .float(let f):
            guard f.allSatisfy({ $0.rounded() == $0 && abs($0) < 1e15 }) else { return nil }
            return f.map { .fixed(Int($0)) }
        }
    }

    /// The integer values when none is symbolic.
    var ints: [Int]? { dims.flatMap { d in d.allSatisfy { $0.fixedValue != nil } ? d.map { $0.fixedValue! } : nil } }

    /// The same values under another shape.
    func reshaped(_ newShape: [Int]) -> Constant { Constant(shape: newShape, values: values) }

    /// Elements picked by flat index (gather, transpose and slicing of constants share this).
    func picking(_ indices: [Int], shape newShape: [Int]) -> Constant {
        switch values {
        case .float(let f): return Constant(shape: newShape, values: .float(indices.map { f[$0] }))
        case .int(let d): return Constant(shape: newShape, values: .int(indices.map { d[$0] }))
        }
    }
}

/// The largest tensor robust accepts from a file: 2^28 elements (1 GiB of float32). A classifier's
/// largest weight is far smaller; a larger declaration is a corrupt or hostile file.
let maximumTensorElements = 1 << 28

/// The largest activation per image robust runs: 2^26 elements (256 MiB of float32; a 64-channel
/// 1024x1024 feature map). Larger ones come from a corrupt or hostile graph.
let maximumActivationElements = 1 << 26

/// Element count of `dims`, or nil when a dimension is negative or the product passes `limit`.
func checkedElementCount(_ dims: [Int64], limit: Int = maximumTensorElements) -> Int? {
    var count = 1
    for d in dims {
        guard d >= 0, d <= Int64(limit) else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
        guard !overflow, product <= limit else { return nil }
        count = product
    }
    return count
}

/// Decodes initializers and `Constant` tensors, reading external data from files beside the model.
struct TensorDecoder {
    /// The model file, for messages.
    let path: String
    /// The folder external data must stay inside (the model's folder, symlinks resolved).
    let directory: String

    /// The tensor's values, checked against its declared shape and type.
    func decode(_ t: Onnx_TensorProto, what: String) throws -> Constant {
        guard let count = checkedElementCount(t.dims) else {
            throw ONNXError(path: path, reason: "\(what) declares shape \(t.dims), negative or over \(maximumTensorElements) elements; the file is corrupt or not a classifier")
        }
        let shape = t.dims.map { Int($0) }
        let raw: Data? = try {
            if t.dataLocation == .external { return try externalData(t, what: what) }
            return t.hasRawData ? t.rawData : nil
        }()
        func mismatch(_ got: Int) -> ONNXError {
            ONNXError(path: path, reason: "\(what) declares \(count) elements (shape \(shape)) but holds \(got); the file is truncated or corrupt")
        }
        switch Onnx_TensorProto.DataType(rawValue: Int(t.dataType)) {
        case .float?:
            if let raw {
                guard raw.count == count * 4 else { throw mismatch(raw.count / 4) }
                return Constant(shape: shape, values: .float(littleEndian(raw, count: count, as: UInt32.self).map { Float(bitPattern: $0) }))
            }
            guard t.floatData.count == count else { throw mismatch(t.floatData.count) }
            return Constant(shape: shape, values: .float(t.floatData))
        case .double?:
            if let raw {
                guard raw.count == count * 8 else { throw mismatch(raw.count / 8) }
                return Constant(shape: shape, values: .float(littleEndian(raw, count: count, as: UInt64.self).map { Float(Double(bitPattern: $0)) }))
            }
            guard t.doubleData.count == count else { throw mismatch(t.doubleData.count) }
            return Constant(shape: shape, values: .float(t.doubleData.map { Float($0) }))
        case .int64?:
            if let raw {
                guard raw.count == count * 8 else { throw mismatch(raw.count / 8) }
                return Constant(shape: shape, values: .int(littleEndian(raw, count: count, as: UInt64.self).map { .fixed(Int(Int64(bitPattern: $0))) }))
            }
            guard t.int64Data.count == count else { throw mismatch(t.int64Data.count) }
            return Constant(shape: shape, values: .int(t.int64Data.map { .fixed(Int($0)) }))
        case .int32?, .int8?, .uint8?, .int16?, .uint16?, .bool?:
            let width = t.dataType == 6 ? 4 : t.dataType == 4 || t.dataType == 5 ? 2 : 1 // int32; (u)int16; 8-bit and bool
            if let raw {
                guard raw.count == count * width else { throw mismatch(raw.count / width) }
                let bytes = [UInt8](raw)
                return Constant(shape: shape, values: .int((0..<count).map { i in
                    var v = 0
                    for b in 0..<width { v |= Int(bytes[i * width + b]) << (8 * b) }
                    let signed = t.dataType == 3 || t.dataType == 5 || t.dataType == 6
                    if signed && v >= 1 << (8 * width - 1) { v -= 1 << (8 * width) }
                    return .fixed(v)
                }))
            }
            guard t.int32Data.count == count else { throw mismatch(t.int32Data.count) }
            return Constant(shape: shape, values: .int(t.int32Data.map { .fixed(Int($0)) }))
        default:
            throw ONNXError(path: path, reason: "\(what) has element type \(t.dataType), which robust does not read (float, double and integer types only); export the model in float32")
        }
    }

    /// The bytes of an external-data tensor: `location` relative to the model's folder, never outside it.
    private func externalData(_ t: Onnx_TensorProto, what: String) throws -> Data {
        var entries: [String: String] = [:]
        for entry in t.externalData { entries[entry.key] = entry.value }
        guard let location = entries["location"], !location.isEmpty else {
            throw ONNXError(path: path, reason: "\(what) is stored externally but names no location; re-export with the weights inside the file")
        }
        let base = URL(fileURLWithPath: directory).resolvingSymlinksInPath().standardizedFileURL.path
        let file = URL(fileURLWithPath: location, relativeTo: URL(fileURLWithPath: base, isDirectory: true))
            .resolvingSymlinksInPath().standardizedFileURL.path
        guard !location.hasPrefix("/"), file.hasPrefix(base + "/") else {
            throw ONNXError(path: path, reason: "\(what) names external data '\(location)' outside the model's folder; refusing to read it (keep the data file next to the model)")
        }
        // Only a regular file: reading a folder traps in Foundation, and opening a FIFO blocks.
        let type = (try? FileManager.default.attributesOfItem(atPath: file))?[.type] as? FileAttributeType
        guard type == nil || type == .typeRegular else {
            throw ONNXError(path: path, reason: "\(what)'s external data '\(location)' is not a regular file; keep the data file next to the model")
        }
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw ONNXError(path: path, reason: "\(what)'s external data file '\(location)' cannot be read; copy it next to the model")
        }
        defer { try? handle.close() }
        let offset = UInt64(entries["offset"] ?? "0") ?? UInt64.max
        let size = (try? handle.seekToEnd()) ?? 0
        guard offset <= size else {
            throw ONNXError(path: path, reason: "\(what)'s external data offset \(entries["offset"] ?? "") is past the end of '\(location)' (\(size) bytes)")
        }
        let available = size - offset
        let length = entries["length"].map { UInt64($0) ?? UInt64.max } ?? available
        guard length <= available, length <= UInt64(maximumTensorElements) * 8 else {
            throw ONNXError(path: path, reason: "\(what)'s external data asks for \(entries["length"] ?? "") bytes but '\(location)' has \(available) from offset \(offset)")
        }
        do {
            try handle.seek(toOffset: offset)
            return try handle.read(upToCount: Int(length)) ?? Data()
        } catch {
            throw ONNXError(path: path, reason: "\(what)'s external data file '\(location)' cannot be read; copy it next to the model")
        }
    }
}

/// `count` little-endian integers of type `T` from `data`.
private func littleEndian<T: FixedWidthInteger>(_ data: Data, count: Int, as: T.Type) -> [T] {
    var out = [T](repeating: 0, count: count)
    _ = out.withUnsafeMutableBytes { data.copyBytes(to: $0, count: count * MemoryLayout<T>.size) }
    return out.map { T(littleEndian: $0) }
}
