import NN

extension Architecture {
    /// `resnet-lite`: a CIFAR-style ResNet-14 (three stages of two basic blocks) named like torchvision.
    ///
    /// normalize, `conv1` 3x3 C->16 (no bias), `bn1`, ReLU, `layer1` (16 ch, stride 1),
    /// `layer2` (32 ch, stride 2), `layer3` (64 ch, stride 2), global average pool, `fc` (64 -> classes).
    /// A basic block is `conv1` 3x3 (stride) -> `bn1` -> ReLU -> `conv2` 3x3 -> `bn2`, plus a shortcut
    /// (identity, or `downsample` = 1x1 conv (stride) + BN when the shape changes), then ReLU of the sum.
    /// `state_dict` names: `conv1.weight`, `bn1.{weight,bias,running_mean,running_var,num_batches_tracked}`,
    /// `layer1.0.conv1.weight`, `layer1.0.bn1.*`, `layer1.0.conv2.weight`, `layer1.0.bn2.*`, ...,
    /// `layer2.0.downsample.0.weight`, `layer2.0.downsample.1.*`, ..., `fc.weight`, `fc.bias`.
    static let resnetLite = Architecture(
        name: "resnet-lite", summary: "ResNet-14: 3 stages x 2 basic blocks (16, 32, 64 channels)", minimumSide: 4
    ) { input, classes, preprocessing, seeds in
        var layers: [(String, any Layer)] = [
            ("normalize", Normalize(preprocessing)),
            ("conv1", Conv2d(input.channels, 16, kernelSize: 3, padding: 1, bias: false, seed: seeds.next())),
            ("bn1", BatchNorm2d(16)),
            ("relu", ReLU()),
        ]
        var channels = 16
        for (stage, (width, stride)) in [(16, 1), (32, 2), (64, 2)].enumerated() {
            let first = basicBlock(channels, width, stride: stride, seeds: &seeds)
            let second = basicBlock(width, width, stride: 1, seeds: &seeds)
            layers.append(("layer\(stage + 1)", Sequential(first, second)))
            channels = width
        }
        layers.append(("avgpool", GlobalAvgPool2d()))
        layers.append(("fc", Linear(64, classes, seed: seeds.next())))
        return Sequential(named: layers)
    }

    /// torchvision's `BasicBlock(inplanes, planes, stride)`, its projection shortcut built when
    /// the stride or the channel count changes.
    private static func basicBlock(_ inChannels: Int, _ outChannels: Int, stride: Int, seeds: inout LayerSeeds) -> Residual {
        let main = Sequential(named: [
            ("conv1", Conv2d(inChannels, outChannels, kernelSize: 3, stride: stride, padding: 1, bias: false, seed: seeds.next())),
            ("bn1", BatchNorm2d(outChannels)),
            ("relu", ReLU()),
            ("conv2", Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, bias: false, seed: seeds.next())),
            ("bn2", BatchNorm2d(outChannels)),
        ])
        guard stride != 1 || inChannels != outChannels else { return Residual(main: main) }
        let downsample = Sequential(
            Conv2d(inChannels, outChannels, kernelSize: 1, stride: stride, bias: false, seed: seeds.next()),
            BatchNorm2d(outChannels)
        )
        return Residual(main: main, shortcut: downsample)
    }
}
