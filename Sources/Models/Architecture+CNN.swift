import NN

extension Architecture {
    /// `cnn`: normalize, `conv1` 3x3 C->32 pad 1, ReLU, max-pool 2, `conv2` 3x3 32->64 pad 1, ReLU,
    /// max-pool 2, flatten, `fc1` (64·(H/4)·(W/4) -> 128), ReLU, `fc2` (128 -> classes).
    ///
    /// Each pool runs before its ReLU: the two commute exactly, values and gradients (`max` of
    /// ReLUs is the ReLU of the `max`, and the first maximum is the same window position whenever
    /// it is positive), and ReLU then touches a quarter of the data. The names keep PyTorch's order.
    ///
    /// Pools floor odd sizes, as PyTorch's. Parameters: `(9C+1)·32 + (288+1)·64 + (64·(H/4)·(W/4)+1)·128 + 129·classes`.
    static let cnn = Architecture(
        name: "cnn", summary: "2 conv layers (32, 64 channels) + 2 linear layers", minimumSide: 4
    ) { input, classes, preprocessing, seeds in
        let features = 64 * (input.height / 4) * (input.width / 4)
        return Sequential(named: [
            ("normalize", Normalize(preprocessing)),
            ("conv1", Conv2d(input.channels, 32, kernelSize: 3, padding: 1, seed: seeds.next())),
            ("pool1", MaxPool2d(kernelSize: 2)),
            ("relu1", ReLU()),
            ("conv2", Conv2d(32, 64, kernelSize: 3, padding: 1, seed: seeds.next())),
            ("pool2", MaxPool2d(kernelSize: 2)),
            ("relu2", ReLU()),
            ("flatten", Flatten()),
            ("fc1", Linear(features, 128, seed: seeds.next())),
            ("relu3", ReLU()),
            ("fc2", Linear(128, classes, seed: seeds.next())),
        ])
    }
}
