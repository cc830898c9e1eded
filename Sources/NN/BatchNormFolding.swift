/// A copy of a network for inference in which every `Conv2d` followed by a `BatchNorm2d` in a
/// `Sequential` is one `Conv2d` with the normalisation folded into its weights and bias:
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
public func foldingBatchNorms(_ network: any Layer) -> any Layer {
    let folded = fold(network)
    folded.isTraining = false
    return folded
}

private func fold(_ layer: any Layer) -> any Layer {
    switch layer {
    case let sequential as Sequential:
        var out: [(String, any Layer)] = []
        for (name, child) in sequential.children {
            if let bn = child as? BatchNorm2d, let (convName, conv) = out.last.flatMap({ ($0.0, $0.1 as? Conv2d) }),
               let conv, conv.outChannels == bn.numFeatures {
                out[out.count - 1] = (convName, folding(bn, into: conv))
            } else {
                out.append((name, fold(child)))
            }
        }
        return Sequential(named: out)
    case let residual as Residual:
        return residual.replacingBranches(main: fold(residual.main), shortcut: residual.shortcut.map(fold))
    default:
        return layer
    }
}

private func folding(_ bn: BatchNorm2d, into conv: Conv2d) -> Conv2d {
    let out = conv.outChannels, perOut = conv.weight.value.count / out
    let folded = Conv2d(conv.inChannels, out, kernelSize: (conv.kernelHeight, conv.kernelWidth), stride: conv.stride,
                        padding: conv.padding, bias: true, seed: 0)
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
