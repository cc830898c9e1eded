import Files
import Foundation
import Metrics
import Models

/// `robust models --inspect`: the file's description, and nil or the reason robust cannot import it.
public func inspectONNX(path: String) throws -> (text: String, problem: ToolError?) {
    let summary: ONNXSummary
    do { summary = try ONNXModel.inspect(path: path) } catch { throw ToolError.badInput("\(error)") }
    var lines = [
        "file        \(path)",
        "producer    \(summary.producer.isEmpty ? "(not recorded)" : summary.producer)",
        "opset       \(summary.opset) (IR version \(summary.irVersion))",
        "inputs      \(summary.inputs.joined(separator: "; "))",
        "outputs     \(summary.outputs.joined(separator: "; "))",
        "parameters  \(summary.parameters) (initializer elements, BatchNorm statistics included)",
        "softmax     " + (summary.finalActivation.map { "ends in \($0) (stripped: attacks use the logits before it)" } ?? "no (ends in logits)"),
        "operators   " + summary.opHistogram.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
    ]
    do {
        let model = try ONNXModel.load(path: path)
        lines.append("sha256      \(model.sha256)")
        lines.append("imports     yes: \(model.inputShape) images, \(model.classes) classes, \(model.stepCount) steps on robust's kernels")
        return (lines.joined(separator: "\n"), nil)
    } catch {
        lines.append("imports     no (see the error below)")
        return (lines.joined(separator: "\n"), ToolError.badInput("\(error)"))
    }
}

/// `robust export`: writes the zoo model as ONNX, after checking that importing the bytes gives the
/// same logits on random inputs (bit for bit without BatchNorm; folding BatchNorm into the
/// convolution on import rounds differently, within 1e-4). Returns the size and the largest difference.
public func exportONNX(model reference: String, dataset: String, modelsDirectory: String, to path: String) throws -> (bytes: Int, difference: Float) {
    guard !reference.lowercased().hasSuffix(".onnx") else {
        throw ToolError.usage("--model \(reference) is already an ONNX file; export takes a zoo checkpoint (see `robust models`)")
    }
    let model: Model
    do {
        model = try Model.load(path: ModelZoo.checkpointPath(for: reference, dataset: dataset, modelsDirectory: modelsDirectory))
    } catch let error as ModelError {
        throw ToolError.usage(error.message)
    } catch {
        throw ToolError.badInput("\(error)")
    }
    let data: Data
    do { data = try model.onnxData(producerVersion: toolVersion) } catch { throw ToolError.usage("\(error)") }
    // Round trip through a temporary file beside the target, then rename it into place.
    let temporary = path + ".tmp"
    do { try data.write(to: URL(fileURLWithPath: temporary)) } catch {
        throw ToolError.badInput("cannot write \(path): \(error.localizedDescription); pick another --onnx")
    }
    defer { try? FileManager.default.removeItem(atPath: temporary) }
    let imported: ONNXModel
    do { imported = try ONNXModel.load(path: temporary) } catch { throw ToolError.badInput("the exported file does not import: \(error); please report this (nothing written)") }
    var rng = SplitMix64(seed: 1)
    let shape = model.inputShape
    let x = Tensor(shape: [4, shape.channels, shape.height, shape.width],
                   storage: (0..<4 * shape.count).map { _ in rng.nextFloat() })
    let check = ExecutionContext.serial() // four images: one thread is plenty
    let expected = model.logits(x, context: check), got = imported.makeNetwork().forward(x, context: check)
    let difference = zip(expected.storage, got.storage).map { abs($0 - $1) }.max() ?? 0
    let scale = max(1, expected.storage.map(abs).max() ?? 0)
    guard got.shape == expected.shape, difference <= 1e-4 * scale else {
        throw ToolError.badInput("the exported graph's logits differ from the checkpoint's by \(difference); please report this (nothing written)")
    }
    do { try writeAtomically(data, to: path) } catch {
        throw ToolError.badInput("cannot write \(path): \(error.localizedDescription); pick another --onnx")
    }
    return (data.count, difference)
}
