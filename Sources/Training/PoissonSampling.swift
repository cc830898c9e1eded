import NN

/// The samples of DP-SGD step `step` of epoch `epoch`: each of `indices` independently with probability
/// `sampleRate`, in the order given (Opacus's `UniformWithReplacementSampler`). The batch size varies and may be 0.
///
/// Why Poisson, not shuffled batches: the RDP accountant's amplification by subsampling assumes it.
/// One stream per (seed, epoch, step), independent of threads and of every other step.
public func poissonSample(_ indices: [Int], sampleRate: Double, seed: UInt64, epoch: Int, step: Int) -> [Int] {
    var rng = SplitMix64(seed: SplitMix64.derive(seed, 0x6470_7320, UInt64(epoch), UInt64(step)))  // "dps "
    var chosen: [Int] = []
    chosen.reserveCapacity(Int(Double(indices.count) * sampleRate * 1.2) + 16)
    for index in indices where Double(rng.next() >> 11) * 0x1p-53 < sampleRate {
        chosen.append(index)
    }
    return chosen
}
