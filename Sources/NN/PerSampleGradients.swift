import Kernels

/// DP-SGD's per-sample clipping for a chain of layers: every sample's gradient norm, then the sum of the
/// clipped gradients `sum_i c_i g_i`, without a backward pass per sample.
///
/// Why it works without per-sample gradients: norms come from each parametric layer's input and output
/// gradient (`Linear`: an outer product, `||dY_i|| ||x_i||`; `Conv2d`: one small GEMM per sample), and since
/// backward is linear in dY and no layer mixes samples, one ordinary backward of `dLogits` with row i scaled
/// by `c_i` gives `sum_i c_i g_i`. Layers that mix the samples of a batch (BatchNorm2d in training) or hold
/// parameters without a norm rule are refused when the chain is built.
public struct PerSampleGradients {
    /// The network whose gradients are clipped.
    public let network: any Layer
    /// The chain in forward order (nested `Sequential`s flattened).
    let layers: [any Layer]
    /// Index in `layers` of the first layer with parameters: backward need not go below it to find norms.
    let firstParametric: Int

    /// Refuses networks with a layer `unsupportedLayers` names.
    public init(_ network: any Layer) throws {
        let unsupported = Self.unsupportedLayers(in: network)
        guard unsupported.isEmpty else { throw PerSampleGradientError.unsupportedLayers(unsupported) }
        self.network = network
        layers = Self.chain(network)
        firstParametric = layers.firstIndex { !$0.namedParameters().isEmpty } ?? layers.count
    }

    /// Type names (each once, in order) of the layers that have no per-sample rule: any `BatchNorm2d` (it
    /// mixes samples), and any layer other than `Linear` and `Conv2d` that holds parameters (a `Residual` or
    /// graph block with parameters inside counts: the chain does not look into branches).
    public static func unsupportedLayers(in network: any Layer) -> [String] {
        var names: [String] = []
        func visit(_ layer: any Layer) {
            let name = String(describing: type(of: layer))
            if layer is BatchNorm2d || (!(layer is Linear || layer is Conv2d) && !layer.namedParameters().isEmpty) {
                if !names.contains(name) { names.append(name) }
            }
            if layer is Sequential || !(layer is Linear || layer is Conv2d) {
                for child in layer.children { visit(child.layer) }
            }
        }
        for layer in chain(network) { visit(layer) }
        return names
    }

    /// The layers applied in order when `network` runs forward.
    static func chain(_ layer: any Layer) -> [any Layer] {
        if let sequential = layer as? Sequential { return sequential.layers.flatMap(chain) }
        return [layer]
    }

    /// Each sample's squared gradient norm over every parameter, for the last forward of `network`.
    ///
    /// `dOutput` holds per-sample loss gradients (row i is dL_i/dlogits_i, not divided by the batch size).
    /// Backs dOutput down to the first parametric layer without touching any `grad`; forward caches are kept,
    /// so an ordinary backward can follow.
    // dOutput: [N, K] -> [N]
    public func squaredNorms(dOutput: Tensor, context: ExecutionContext) -> [Double] {
        let n = dOutput.dim(0)
        var norms = [Double](repeating: 0, count: n)
        var dY = dOutput
        for index in layers.indices.reversed() where index >= firstParametric {
            let layer = layers[index]
            if let linear = layer as? Linear {
                linear.addPerSampleSquaredNorms(dY, into: &norms, context: context)
            } else if let conv = layer as? Conv2d {
                conv.addPerSampleSquaredNorms(dY, into: &norms, context: context)
            }
            if index > firstParametric { dY = layer.backward(dY, accumulateParameterGradients: false, context: context) }
        }
        return norms
    }

    /// Opacus's clip factors `c_i = min(1, C / (||g_i|| + 1e-6))` for squared norms.
    public static func clipFactors(squaredNorms: [Double], maxNorm: Float) -> [Float] {
        squaredNorms.map { Float(min(1, Double(maxNorm) / ($0.squareRoot() + 1e-6))) }
    }

    /// Adds `sum_i c_i g_i` to the parameters' `grad` for the last forward of `network`, each sample's
    /// gradient clipped to L2 norm `maxNorm`; returns the squared norms before clipping.
    // dOutput: [N, K] per-sample loss gradients -> grad += sum_i c_i g_i
    @discardableResult
    public func accumulateClippedSum(dOutput: Tensor, maxNorm: Float, context: ExecutionContext) -> [Double] {
        let norms = squaredNorms(dOutput: dOutput, context: context)
        let factors = Self.clipFactors(squaredNorms: norms, maxNorm: maxNorm)
        var scaled = dOutput
        let k = dOutput.count / max(1, dOutput.dim(0))
        for (i, c) in factors.enumerated() {
            for j in i * k..<(i + 1) * k { scaled.storage[j] *= c }
        }
        _ = network.backward(scaled, accumulateParameterGradients: true, context: context)
        return norms
    }
}

/// Why a network cannot be trained with per-sample clipping: one line naming the layers and the fix.
public enum PerSampleGradientError: Error, CustomStringConvertible, Equatable {
    case unsupportedLayers([String])

    public var description: String {
        switch self {
        case .unsupportedLayers(let names) where names.contains("BatchNorm2d"):
            return "BatchNorm2d mixes the samples of a batch (batch statistics), so no sample has a gradient of its own to clip"
                + (names.count > 1 ? " (also without a per-sample rule: \(names.filter { $0 != "BatchNorm2d" }.joined(separator: ", ")))" : "")
        case .unsupportedLayers(let names):
            return "\(names.joined(separator: ", ")) \(names.count == 1 ? "has" : "have") parameters but no per-sample gradient rule (Linear and Conv2d have)"
        }
    }
}
