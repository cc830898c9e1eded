import ONNXProto

/// A node's attributes by name, with ONNX's defaults supplied by the caller.
struct Attributes {
    let node: String
    let path: String
    private let byName: [String: Onnx_AttributeProto]

    init(_ node: Onnx_NodeProto, name: String, path: String) {
        self.node = name
        self.path = path
        var map: [String: Onnx_AttributeProto] = [:]
        for a in node.attribute { map[a.name] = a }
        byName = map
    }

    func has(_ name: String) -> Bool { byName[name] != nil }

    func int(_ name: String, _ fallback: Int) -> Int {
        guard let a = byName[name] else { return fallback }
        return Int(clamping: a.i)
    }

    func float(_ name: String, _ fallback: Float) -> Float { byName[name].map { $0.f } ?? fallback }

    func ints(_ name: String) -> [Int]? { byName[name].map { $0.ints.map { Int(clamping: $0) } } }

    func floats(_ name: String) -> [Float]? { byName[name].map { $0.floats } }

    func string(_ name: String, _ fallback: String) -> String {
        guard let a = byName[name] else { return fallback }
        return String(decoding: a.s, as: UTF8.self)
    }

    func tensor(_ name: String) -> Onnx_TensorProto? { byName[name].flatMap { $0.hasT ? $0.t : nil } }
}
