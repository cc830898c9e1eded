import NN

extension Architecture {
    /// `mlp`: normalize, flatten, `fc1` (C·H·W -> 256), ReLU, `fc2` (256 -> 128), ReLU, `fc3` (128 -> classes).
    ///
    /// `state_dict`: `fc1.weight [256, CHW]`, `fc1.bias`, `fc2.weight [128, 256]`, `fc2.bias`,
    /// `fc3.weight [classes, 128]`, `fc3.bias`. Parameters: `(CHW+1)·256 + (256+1)·128 + (128+1)·classes`.
    static let mlp = Architecture(
        name: "mlp", summary: "3-layer perceptron (256, 128 hidden units)", minimumSide: 1
    ) { input, classes, preprocessing, seeds in
        Sequential(named: [
            ("normalize", Normalize(preprocessing)),
            ("flatten", Flatten()),
            ("fc1", Linear(input.count, 256, seed: seeds.next())),
            ("relu1", ReLU()),
            ("fc2", Linear(256, 128, seed: seeds.next())),
            ("relu2", ReLU()),
            ("fc3", Linear(128, classes, seed: seeds.next())),
        ])
    }
}
