/// SplitMix64: a small, fast, statistically solid 64-bit generator (Steele et al. 2014).
///
/// robust never shares one stream between samples: each sample's generator is seeded by
/// `SplitMix64.derive(...)` from the run seed and the sample's global index, so results do
/// not depend on batch size, thread count or sharding.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 24 random bits.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Standard normal by Box-Muller (one value per call; simple and deterministic).
    public mutating func nextGaussian() -> Float {
        let u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let r = (-2 * log1p(-u1)).squareRoot()
        return Float(r * cos(2 * Double.pi * u2))
    }

    /// Uniform integer in `0..<bound`.
    public mutating func nextInt(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// A seed for one independent stream, mixed from a run seed and any number of keys
    /// (global sample index, attack id, restart...). Equal keys give equal streams.
    public static func derive(_ seed: UInt64, _ keys: UInt64...) -> UInt64 {
        var g = SplitMix64(seed: seed)
        var h = g.next()
        for key in keys {
            g = SplitMix64(seed: h ^ (key &* 0xD6E8_FEB8_6659_FD93))
            h = g.next()
        }
        return h
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
