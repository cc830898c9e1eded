import NN

/// One DP-SGD gradient as Opacus computes it: the clipped per-sample sum, plus N(0, (σC)²) per coordinate,
/// divided by the expected batch size q·N (not the batch's actual size, which would leak it).
struct PrivateGradient {
    let privacy: DifferentialPrivacy
    let clipping: PerSampleGradients
    /// q·N, the batch size asked for.
    let expectedBatchSize: Int

    /// Forward and the clipped sum `sum_i c_i g_i` of the per-sample loss gradients, added to the parameters'
    /// `grad`. Returns the batch's mean loss and its logits.
    func accumulateClippedSum(_ x: Tensor, labels: [Int], smoothing: Float, context: ExecutionContext) -> (Float, Tensor) {
        let logits = clipping.network.forward(x, context: context)
        var (loss, dLogits) = smoothedCrossEntropy(logits: logits, labels: labels, smoothing: smoothing)
        // The mean loss's gradient times n: row i is sample i's own loss gradient.
        let n = Float(labels.count)
        for j in dLogits.storage.indices { dLogits.storage[j] *= n }
        clipping.accumulateClippedSum(dOutput: dLogits, maxNorm: privacy.maxGradNorm, context: context)
        return (loss, logits)
    }

    /// grad := (grad + N(0, (σC)²)) / (q·N) for every parameter; the noise of step (epoch, step) is fixed by the seed.
    func addNoiseAndAverage(_ parameters: [(name: String, parameter: Parameter)], seed: UInt64, epoch: Int, step: Int,
                            context: ExecutionContext) {
        let std = Float(privacy.noiseMultiplier * Double(privacy.maxGradNorm))
        let scale = 1 / Float(expectedBatchSize)
        for (p, entry) in parameters.enumerated() {
            addGaussianNoise(&entry.parameter.grad, std: std, seed: SplitMix64.derive(seed, 0x6470_6E20, UInt64(epoch), UInt64(step), UInt64(p)),  // "dpn "
                             context: context)
            let count = entry.parameter.grad.count
            entry.parameter.grad.withUnsafeMutablePointer { g in
                for j in 0..<count { g[j] *= scale }
            }
        }
    }
}

/// Adds N(0, std²) to every element of `tensor`. Blocks of 16 Ki elements each draw from their own stream
/// keyed by (seed, block), so the noise is the same with 1 or N threads.
public func addGaussianNoise(_ tensor: inout Tensor, std: Float, seed: UInt64, context: ExecutionContext) {
    let block = 16_384, count = tensor.count
    tensor.withUnsafeMutablePointer { t in
        context.forEach((count + block - 1) / block) { b in
            var rng = SplitMix64(seed: SplitMix64.derive(seed, UInt64(b)))
            for j in b * block..<min(count, (b + 1) * block) { t[j] += std * rng.nextGaussian() }
        }
    }
}
