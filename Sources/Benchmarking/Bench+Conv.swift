import Kernels
import NN
import Workflow

/// One Conv2d benchmark: forward, backward to the input only (what an attack pays), and the
/// weight gradient (backward with parameter gradients minus backward without).
public struct ConvBenchResult: Codable, Sendable {
    public var shape: String
    public var threads: Int
    public var kernel: String
    public var runs: Int
    public var forward_gflops_median: Double
    public var backward_input_gflops_median: Double
    public var backward_weight_gflops_median: Double
    /// The fastest run's figure: on a noisy machine, what the code does when nothing else runs.
    public var forward_gflops_max: Double
    public var backward_input_gflops_max: Double
    public var forward_ms_median: Double
    public var backward_input_ms_median: Double
    public var backward_weight_ms_median: Double
}

/// A convolution case as the CLI spells it: `N,C,H,W,O,k,s,p`.
public struct ConvShape: Sendable, CustomStringConvertible {
    public var batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int

    /// Parses `128,32,14,14,64,3,1,1`; nil when malformed or the window does not fit.
    public init?(parsing text: String) {
        let v = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard v.count == 8, v[0...6].allSatisfy({ $0 > 0 }), v[7] >= 0,
              v[2] + 2 * v[7] >= v[5], v[3] + 2 * v[7] >= v[5] else { return nil }
        (batch, inChannels, height, width, outChannels, kernel, stride, padding) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7])
    }

    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Multiply-adds x 2 of one pass (forward, input gradient and weight gradient each cost this).
    public var flops: Double {
        2 * Double(batch * outChannels * outHeight * outWidth) * Double(inChannels * kernel * kernel)
    }
    public var description: String { "\(batch),\(inChannels),\(height),\(width),\(outChannels),\(kernel),\(stride),\(padding)" }
}

/// Measures a Conv2d layer with random weights and inputs on `context`.
public func benchConv(_ s: ConvShape, context: ExecutionContext, runs: Int) -> ConvBenchResult {
    let conv = Conv2d(s.inChannels, s.outChannels, kernelSize: s.kernel, stride: s.stride, padding: s.padding, seed: 1)
    var rng = SplitMix64(seed: 2)
    let x = Tensor(shape: [s.batch, s.inChannels, s.height, s.width],
                   storage: (0..<(s.batch * s.inChannels * s.height * s.width)).map { _ in rng.nextFloat() })
    let y = conv.forward(x, context: context)
    let dY = Tensor(shape: y.shape, storage: (0..<y.count).map { _ in rng.nextFloat() - 0.5 })
    let fwd = Summary(measure(runs: runs) { _ = conv.forward(x, context: context) })
    let bwdInput = Summary(measure(runs: runs) { _ = conv.backward(dY, accumulateParameterGradients: false, context: context) })
    let bwdBoth = Summary(measure(runs: runs) { _ = conv.backward(dY, accumulateParameterGradients: true, context: context) })
    let weightOnly = max(1e-9, bwdBoth.median - bwdInput.median)
    let gf = { (seconds: Double) in s.flops / seconds / 1e9 }
    return ConvBenchResult(shape: s.description, threads: context.threads, kernel: context.gemm.kernel.name, runs: runs,
                           forward_gflops_median: gf(fwd.median), backward_input_gflops_median: gf(bwdInput.median),
                           backward_weight_gflops_median: gf(weightOnly),
                           forward_gflops_max: gf(fwd.min), backward_input_gflops_max: gf(bwdInput.min),
                           forward_ms_median: fwd.median * 1e3, backward_input_ms_median: bwdInput.median * 1e3,
                           backward_weight_ms_median: weightOnly * 1e3)
}
