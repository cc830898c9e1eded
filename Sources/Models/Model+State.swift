import NN

extension Model {
    /// The `state_dict` as safetensors entries: Float tensors as F32, BatchNorm's
    /// `num_batches_tracked` as I64 with shape `[]`, as PyTorch stores them.
    public func stateFile() -> SafeTensors.File {
        var entries: [String: SafeTensors.Entry] = [:]
        for (name, parameter) in network.namedState() {
            entries[name] = Self.isCounter(parameter)
                ? .i64(shape: parameter.value.shape, values: parameter.value.storage.map { Int64($0) })
                : .f32(parameter.value)
        }
        return SafeTensors.File(entries: entries)
    }

    /// Replaces every parameter and buffer with the file's, after checking the whole file first:
    /// every expected name present, no unexpected name, every shape and dtype as the architecture
    /// needs. A failed check throws one `CheckpointError` line and leaves the model unchanged.
    public func loadState(_ file: SafeTensors.File, source: String) throws {
        func fail(_ why: String) -> CheckpointError { CheckpointError(path: source, reason: why) }
        let expected = network.namedState()
        let expectedNames = Set(expected.map(\.name))
        let missing = expected.map(\.name).filter { file.entries[$0] == nil }
        if !missing.isEmpty {
            throw fail("missing \(missing.count) tensor(s) of \(architecture): \(Self.list(missing)) (a checkpoint of another architecture?)")
        }
        let unexpected = file.entries.keys.filter { !expectedNames.contains($0) }.sorted()
        if !unexpected.isEmpty {
            throw fail("\(unexpected.count) unexpected tensor(s) for \(architecture): \(Self.list(unexpected)) (a checkpoint of another architecture?)")
        }
        for (name, parameter) in expected {
            let entry = file.entries[name]!
            guard entry.shape == parameter.value.shape else {
                throw fail("tensor '\(name)' has shape \(entry.shape) but \(architecture) for input \(inputShape) and \(classes) classes expects \(parameter.value.shape)")
            }
            switch (entry, Self.isCounter(parameter)) {
            case (.f32, false), (.i64, true): break
            case (.i64, false): throw fail("tensor '\(name)' has dtype I64, expected F32")
            case (.f32, true): throw fail("tensor '\(name)' has dtype F32, expected I64 (PyTorch's int64 counter)")
            }
        }
        for (name, parameter) in expected {
            parameter.value = file.tensor(name)!
            parameter.zeroGrad()
        }
    }

    /// BatchNorm's step counter, the one integer tensor in a `state_dict`.
    static func isCounter(_ parameter: Parameter) -> Bool {
        parameter.kind == .buffer && parameter.name == "num_batches_tracked"
    }

    /// At most five names, then how many more: an error line stays one line.
    private static func list(_ names: [String]) -> String {
        let shown = names.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
        return names.count > 5 ? shown + " and \(names.count - 5) more" : shown
    }
}
