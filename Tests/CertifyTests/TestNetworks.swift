import Kernels
import NN
import _TestSupport

/// Small random networks covering every layer kind with a bound rule, and their inputs.
enum TestNetworks {
    /// Linear/ReLU: `inputs -> hidden... -> classes`.
    static func mlp(_ inputs: Int, _ hidden: [Int], _ classes: Int, seed: UInt64) -> Sequential {
        var layers: [any Layer] = []
        var width = inputs
        for (i, h) in hidden.enumerated() {
            layers += [Linear(width, h, seed: seed &+ UInt64(i)), ReLU()]
            width = h
        }
        return Sequential(layers + [Linear(width, classes, seed: seed &+ 100)])
    }

    /// `[N, 2, 10, 10]` -> 5 classes: Normalize, Conv2d (pad 1), BatchNorm2d (inference), ReLU, an overlapping
    /// MaxPool2d (3, stride 2, pad 1), Conv2d (stride 2, pad 1), BatchNorm2d, ReLU, an overlapping AvgPool2d
    /// (2, stride 1), Flatten, Linear, ReLU, Linear.
    static func convNet(seed: UInt64) -> Sequential {
        Sequential([
            Normalize(mean: [0.4, 0.6], std: [0.3, 0.25]),
            Conv2d(2, 4, kernelSize: 3, padding: 1, seed: seed),
            batchNorm(4, seed: seed &+ 1),
            ReLU(),
            MaxPool2d(kernelSize: 3, stride: 2, padding: 1),
            Conv2d(4, 6, kernelSize: 3, stride: 2, padding: 1, seed: seed &+ 2),
            batchNorm(6, seed: seed &+ 3),
            ReLU(),
            AvgPool2d(kernelSize: 2, stride: 1),
            Flatten(),
            Linear(24, 10, seed: seed &+ 4),
            ReLU(),
            Linear(10, 5, seed: seed &+ 5),
        ])
    }

    /// `[N, 1, 8, 8]` -> 4 classes: the cnn's order (conv, 2x2 max-pool, ReLU), an AvgPool2d with padding
    /// that does not count it, residual blocks with identity and projection shortcuts, a ChannelAffine, a
    /// GlobalAvgPool2d and a Reshape.
    static func residualNet(seed: UInt64) -> Sequential {
        let block = Residual(main: Sequential(Conv2d(4, 4, kernelSize: 3, padding: 1, seed: seed &+ 1), batchNorm(4, seed: seed &+ 2),
                                              ReLU(), Conv2d(4, 4, kernelSize: 3, padding: 1, seed: seed &+ 3)))
        let down = Residual(main: Sequential(Conv2d(4, 6, kernelSize: 3, stride: 2, padding: 1, seed: seed &+ 4), ReLU(),
                                             Conv2d(6, 6, kernelSize: 3, padding: 1, seed: seed &+ 5)),
                            shortcut: Sequential(Conv2d(4, 6, kernelSize: 1, stride: 2, seed: seed &+ 6), batchNorm(6, seed: seed &+ 7)))
        return Sequential([
            Conv2d(1, 4, kernelSize: 3, padding: 1, seed: seed),
            MaxPool2d(kernelSize: 2),
            ReLU(),
            AvgPool2d(kernelSize: 3, stride: 1, padding: 1, countIncludePad: false),
            block,
            down,
            ChannelAffine(scale: [1.5, -0.5, 0.8, 1.2, 2, -1], shift: [0.1, 0, -0.2, 0.3, 0, 0.05]),
            GlobalAvgPool2d(),
            Reshape(sampleShape: [6]),
            Linear(6, 4, seed: seed &+ 8),
        ])
    }

    /// `[N, 1, 6, 6]` -> 3 classes with no Linear head to elide: convolutions, then a GlobalAvgPool2d gives the logits.
    static func allConvNet(seed: UInt64) -> Sequential {
        Sequential(Conv2d(1, 4, kernelSize: 3, padding: 1, seed: seed), ReLU(),
                   Conv2d(4, 3, kernelSize: 3, stride: 2, padding: 1, seed: seed &+ 1), GlobalAvgPool2d())
    }

    /// A BatchNorm2d in inference mode with random statistics and affine parameters.
    static func batchNorm(_ channels: Int, seed: UInt64) -> BatchNorm2d {
        let bn = BatchNorm2d(channels)
        var rng = SplitMix64(seed: seed)
        bn.weight.value = Tensor(shape: [channels], storage: (0..<channels).map { _ in 0.5 + rng.nextFloat() })
        bn.bias.value = Tensor(shape: [channels], storage: (0..<channels).map { _ in rng.nextFloat() - 0.5 })
        bn.runningMean.value = Tensor(shape: [channels], storage: (0..<channels).map { _ in rng.nextFloat() - 0.5 })
        bn.runningVar.value = Tensor(shape: [channels], storage: (0..<channels).map { _ in 0.2 + rng.nextFloat() })
        return bn
    }

    /// Uniform pixels in [0, 1).
    static func images(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in rng.nextFloat() })
    }

    /// The arg-max of each row of `[N, K]` logits.
    static func predictions(_ logits: Tensor) -> [Int] {
        let k = logits.dim(1)
        return (0..<logits.dim(0)).map { s in (0..<k).max { logits.storage[s * k + $0] < logits.storage[s * k + $1] }! }
    }
}
