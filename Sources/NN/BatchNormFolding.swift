/// A copy of a network for inference in which every `Conv2d` followed by a `BatchNorm2d` in a
/// `Sequential` is one `Conv2d` with the normalisation folded into its weights and bias, and a
/// `ReLU` right after a convolution or a max-pool runs inside it (`fusesReLU`, bit-identical). Folding:
/// `W'[o] = W[o] * s[o]`, `b'[o] = (b[o] - mean[o]) * s[o] + beta[o]`, `s = gamma / sqrt(var + eps)`
/// (in Double, rounded once).
///
/// Why: with running statistics BatchNorm is an affine map per channel, so a forward and an input
/// gradient each lose one pass over every activation (and the conv's bias rides in its epilogue).
/// The folded network differs from the stored one by float rounding only; certification keeps
/// the stored one, so certificates are about the stored weights.
///
/// Layers outside the pairs are shared with `network`, so fold a copy of its own (a replica), never
/// the network something else runs. Folding applies to inference only: the copy is in inference mode.
/// `fusingReLUs: false` keeps every ReLU a layer of its own (what `robust bench fusion` compares with).
public func foldingBatchNorms(_ network: any Layer, fusingReLUs: Bool = true) -> any Layer {
    let folded = fold(network, fusingReLUs)
    folded.isTraining = false
    return folded
}

private func fold(_ layer: any Layer, _ fuses: Bool) -> any Layer {
    switch layer {
    case let sequential as Sequential:
        var out: [(String, any Layer)] = []
        for (name, child) in sequential.children {
            let previous = out.last.flatMap { entry in (entry.1 as? Conv2d).map { (name: entry.0, conv: $0) } }
            if let bn = child as? BatchNorm2d, let previous, !previous.conv.fusesReLU, previous.conv.outChannels == bn.numFeatures {
                out[out.count - 1] = (previous.name, folding(bn, into: previous.conv))
            } else if !fuses {
                out.append((name, fold(child, fuses)))
            } else if child is ReLU, let previous, !previous.conv.fusesReLU {
                let fused = copy(of: previous.conv, bias: previous.conv.bias != nil)
                fused.fusesReLU = true
                out[out.count - 1] = (previous.name, fused)
            } else if child is ReLU, let (poolName, pool) = out.last.flatMap({ e in (e.1 as? MaxPool2d).map { (e.0, $0) } }),
                      !pool.fusesReLU {
                let fused = MaxPool2d(kernelSize: pool.kernelSize, stride: pool.stride, padding: pool.padding)
                fused.fusesReLU = true
                out[out.count - 1] = (poolName, fused)
            } else {
                out.append((name, fold(child, fuses)))
            }
        }
        return Sequential(named: out)
    case let residual as Residual:
        return residual.replacingBranches(main: fold(residual.main, fuses), shortcut: residual.shortcut.map { fold($0, fuses) })
    default:
        return layer
    }
}

/// A new convolution of `conv`'s shape holding its weights (shared until either is written), so a
/// transform never changes a layer of the network it was given.
private func copy(of conv: Conv2d, bias: Bool) -> Conv2d {
    let made = Conv2d(conv.inChannels, conv.outChannels, kernelSize: (conv.kernelHeight, conv.kernelWidth),
                      stride: conv.stride, padding: conv.padding, bias: bias, seed: 0)
    made.weight.value = conv.weight.value
    if let source = conv.bias, let target = made.bias { target.value = source.value }
    return made
}

private func folding(_ bn: BatchNorm2d, into conv: Conv2d) -> Conv2d {
    let out = conv.outChannels, perOut = conv.weight.value.count / out
    let folded = copy(of: conv, bias: true)
    var weight = conv.weight.value
    var bias = [Float](repeating: 0, count: out)
    for o in 0..<out {
        let scale = Double(bn.weight.value.storage[o]) / (Double(bn.runningVar.value.storage[o]) + Double(bn.eps)).squareRoot()
        for t in 0..<perOut { weight.storage[o * perOut + t] = Float(Double(weight.storage[o * perOut + t]) * scale) }
        let b = Double(conv.bias?.value.storage[o] ?? 0)
        bias[o] = Float((b - Double(bn.runningMean.value.storage[o])) * scale + Double(bn.bias.value.storage[o]))
    }
    folded.weight.value = weight
    folded.bias!.value = Tensor(shape: [out], storage: bias)
    return folded
}
