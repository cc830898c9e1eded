import NN
import TensorCore

/// One step of a network as the bound rules see it: a layer kind that has an interval rule and a linear
/// (CROWN) rule. `Sequential`s are flattened into the list; a `Residual` keeps its two branches.
enum BoundNode {
    /// `Linear` or `Conv2d`: `y = A x + b`.
    case affine(AffineMap)
    /// `y = scale[c] x + shift[c]` per channel: `Normalize`, `BatchNorm2d` in inference mode, `ChannelAffine`.
    case channelAffine(ChannelMap)
    case relu
    /// A private copy of the pool (its forward cache is ours).
    case maxPool(MaxPool2d)
    case averagePool(AveragePool)
    /// `Flatten` or `Reshape`: the sample shape after it, given the one before.
    case reshape(([Int]) -> [Int])
    /// `relu(main(x) + shortcut(x))`, the shortcut nil for identity.
    case residual(main: [BoundNode], shortcut: [BoundNode]?)

    /// The nodes of `layer`, or the names of its layers without a bound rule.
    static func compile(_ layer: any Layer) throws -> [BoundNode] {
        var unsupported: [String] = []
        let nodes = compile(layer, unsupported: &unsupported)
        guard unsupported.isEmpty else { throw UnsupportedLayerError(layers: unsupported) }
        return nodes
    }

    private static func compile(_ layer: any Layer, unsupported: inout [String]) -> [BoundNode] {
        func refuse(_ name: String) -> [BoundNode] {
            if !unsupported.contains(name) { unsupported.append(name) }
            return []
        }
        switch layer {
        case let sequential as Sequential:
            return sequential.layers.flatMap { compile($0, unsupported: &unsupported) }
        case let residual as Residual:
            let main = compile(residual.main, unsupported: &unsupported)
            let shortcut = residual.shortcut.map { compile($0, unsupported: &unsupported) }
            return [.residual(main: main, shortcut: shortcut)]
        case let linear as Linear:
            return [.affine(AffineMap(linear))]
        case let conv as Conv2d:
            return [.affine(AffineMap(conv))]
        case let normalize as Normalize:
            return [.channelAffine(ChannelMap(normalize))]
        case let batchNorm as BatchNorm2d:
            if batchNorm.isTraining { return refuse("BatchNorm2d (training mode)") }
            return [.channelAffine(ChannelMap(batchNorm))]
        case let affine as ChannelAffine:
            return [.channelAffine(ChannelMap(affine))]
        case is ReLU:
            return [.relu]
        case let pool as MaxPool2d:
            return [.maxPool(MaxPool2d(kernelSize: pool.kernelSize, stride: pool.stride, padding: pool.padding))]
        case let pool as AvgPool2d:
            return [.averagePool(AveragePool(pool))]
        case is GlobalAvgPool2d:
            return [.averagePool(AveragePool(global: GlobalAvgPool2d()))]
        case is Flatten:
            return [.reshape { [$0.reduce(1, *)] }]
        case let reshape as Reshape:
            let shape = reshape.sampleShape
            return [.reshape { _ in shape }]
        default:
            return refuse(String(describing: type(of: layer)))
        }
    }
}

/// `y = scale[c] * x + shift[c]` over `[N, C, ...]`, in Double from the layer's Float constants.
struct ChannelMap {
    let scale: [Double]
    let shift: [Double]
    /// The sum of absolute terms that made each shift, the size of its Double rounding error.
    let shiftMagnitude: [Double]

    /// `(x - mean) * inverseStd`, as `Normalize.forward` computes it (with the stored reciprocal).
    init(_ layer: Normalize) {
        scale = layer.inverseStd.map(Double.init)
        shift = zip(layer.mean, layer.inverseStd).map { -Double($0) * Double($1) }
        shiftMagnitude = shift.map(abs)
    }

    /// `weight * (x - runningMean) / sqrt(runningVar + eps) + bias`.
    init(_ layer: BatchNorm2d) {
        let gamma = layer.weight.value.storage, beta = layer.bias.value.storage
        let mean = layer.runningMean.value.storage, variance = layer.runningVar.value.storage
        let s = (0..<layer.numFeatures).map { Double(gamma[$0]) / (Double(variance[$0]) + Double(layer.eps)).squareRoot() }
        scale = s
        shift = (0..<layer.numFeatures).map { Double(beta[$0]) - Double(mean[$0]) * s[$0] }
        shiftMagnitude = (0..<layer.numFeatures).map { abs(Double(beta[$0])) + abs(Double(mean[$0]) * s[$0]) }
    }

    init(_ layer: ChannelAffine) {
        scale = layer.scale.map(Double.init)
        shift = layer.shift.map(Double.init)
        shiftMagnitude = shift.map(abs)
    }
}

/// An average pool (a private copy) and how many terms each output sums.
struct AveragePool {
    let layer: any Layer
    private let kernelSize: Int?

    init(_ pool: AvgPool2d) {
        layer = AvgPool2d(kernelSize: pool.kernelSize, stride: pool.stride, padding: pool.padding,
                          countIncludePad: pool.countIncludePad)
        kernelSize = pool.kernelSize
    }

    init(global: GlobalAvgPool2d) {
        layer = global
        kernelSize = nil
    }

    /// Terms per output for an input `[N, C, H, W]`: `k * k`, or `H * W` for the global pool.
    func window(_ inputShape: [Int]) -> Int {
        kernelSize.map { $0 * $0 } ?? inputShape[2] * inputShape[3]
    }
}
