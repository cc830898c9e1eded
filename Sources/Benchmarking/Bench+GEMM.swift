import Kernels
import TensorCore
import Workflow

/// One GEMM benchmark result (`robust bench gemm --json` prints one per shape).
public struct GEMMBenchResult: Codable, Sendable {
    public var shape: String
    public var threads: Int
    public var kernel: String
    public var runs: Int
    public var gflops_median: Double
    public var gflops_min: Double
    public var gflops_max: Double
}

/// A GEMM shape as the CLI spells it: `MxKxN`, with optional transposes `MxKxN:tn`.
public struct GEMMShape: Sendable, CustomStringConvertible {
    public var m: Int, k: Int, n: Int
    public var transA: Transpose = .n, transB: Transpose = .n

    public init(m: Int, k: Int, n: Int, transA: Transpose = .n, transB: Transpose = .n) {
        (self.m, self.k, self.n, self.transA, self.transB) = (m, k, n, transA, transB)
    }

    /// Parses `1024x1024x1024` or `64x288x25088:nt`; nil when malformed.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard let head = parts.first else { return nil }
        let dims = head.split(separator: "x").compactMap { Int($0) }
        guard dims.count == 3, dims.allSatisfy({ $0 > 0 }) else { return nil }
        (m, k, n) = (dims[0], dims[1], dims[2])
        if parts.count == 2 {
            let t = Array(parts[1])
            guard t.count == 2, let a = Self.trans(t[0]), let b = Self.trans(t[1]) else { return nil }
            (transA, transB) = (a, b)
        }
    }

    private static func trans(_ c: Character) -> Transpose? {
        c == "n" ? .n : c == "t" ? .t : nil
    }

    public var description: String {
        let base = "\(m)x\(k)x\(n)"
        return transA == .n && transB == .n ? base : base + ":\(transA)\(transB)"
    }
}

/// Measures `sgemm` on one shape: random operands, `runs` timed calls after a warm-up.
public func benchGEMM(_ shape: GEMMShape, context: ExecutionContext, runs: Int) -> GEMMBenchResult {
    let (m, k, n) = (shape.m, shape.k, shape.n)
    var rng = SplitMix64(seed: 42)
    let a = AlignedBuffer(count: m * k), b = AlignedBuffer(count: k * n), c = AlignedBuffer(count: m * n)
    for i in 0..<(m * k) { a.pointer[i] = rng.nextFloat() - 0.5 }
    for i in 0..<(k * n) { b.pointer[i] = rng.nextFloat() - 0.5 }
    let lda = shape.transA == .n ? k : m
    let ldb = shape.transB == .n ? n : k
    let times = measure(runs: runs, warmup: 2) {
        sgemm(shape.transA, shape.transB, m: m, n: n, k: k, a: a.pointer, lda: lda, b: b.pointer, ldb: ldb,
              c: c.pointer, ldc: n, on: context)
    }
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    let s = Summary(times.map { flops / $0 / 1e9 })
    return GEMMBenchResult(shape: shape.description, threads: context.threads, kernel: context.gemm.kernel.name, runs: runs,
                           gflops_median: s.median, gflops_min: s.min, gflops_max: s.max)
}

/// Measured FP32 peak of one core (GFLOP/s): a register-only FMA loop, median of `runs`.
/// Nil when the CPU has no AVX-512 (the probe is written for that kernel's registers).
public func benchPeakGFLOPS(_ kernel: MicroKernel, runs: Int) -> Summary? {
    guard let probe = kernel.fmaPeakProbe else { return nil }
    let iterations = 20_000_000
    var sink: Float = 0
    let times = measure(runs: runs) { sink += probe(iterations) }
    if sink == 42 { print("") } // keep the result alive
    return Summary(times.map { Double(iterations) * 16 * 32 / $0 / 1e9 })
}

/// The micro-kernel's own throughput (GFLOP/s, one core) with both panels resident in L1:
/// the ceiling for the blocked GEMM, so the gap to it is what blocking and packing cost.
public func benchMicroKernelGFLOPS(_ kernel: MicroKernel, kc: Int = 256, runs: Int) -> Summary {
    let a = AlignedBuffer(count: kc * kernel.mr), b = AlignedBuffer(count: kc * kernel.nr)
    let c = AlignedBuffer(count: kernel.mr * kernel.nr)
    a.pointer.update(repeating: 1e-3, count: a.count)
    b.pointer.update(repeating: 1e-3, count: b.count)
    let calls = 100_000_000 / (kc * kernel.mr)
    let times = measure(runs: runs) {
        for _ in 0..<calls { kernel.run(kc, 1, a.pointer, b.pointer, 0, c.pointer, kernel.nr, kernel.mr, kernel.nr) }
    }
    return Summary(times.map { Double(calls * kc * kernel.mr * kernel.nr * 2) / $0 / 1e9 })
}
