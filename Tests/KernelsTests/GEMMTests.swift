import Kernels
import XCTest
import _TestSupport

/// SGEMM against the Double-accumulated reference, judged by a residual bound.
///
/// The bound is the classical one for a Float32 dot product (Higham, Accuracy and Stability,
/// 3.1): |fl(c) - c| <= gamma_k * (|alpha| * sum_p |a_ip| |b_pj| + |beta c_ij|), gamma_k ~ (k + 2) u
/// with u = 2^-24. We allow twice that. A wrong index or a missed edge is off by O(|a||b|),
/// far above the bound, so the test cannot pass by accident; rounding alone never exceeds it.
final class GEMMTests: XCTestCase {
    struct Case {
        var m: Int, n: Int, k: Int
        var ta: Transpose, tb: Transpose
        var alpha: Float, beta: Float
        var pad: Int // extra leading-dimension slack
    }

    /// Runs one case with `context` and checks every element against the bound.
    func check(_ t: Case, context: GEMMContext, threads: Int = 1, file: StaticString = #filePath, line: UInt = #line) {
        let (rowsA, colsA) = t.ta == .n ? (t.m, t.k) : (t.k, t.m)
        let (rowsB, colsB) = t.tb == .n ? (t.k, t.n) : (t.n, t.k)
        let lda = colsA + t.pad, ldb = colsB + t.pad, ldc = t.n + t.pad
        let a = randomArray(max(1, rowsA * lda), seed: 1)
        let b = randomArray(max(1, rowsB * ldb), seed: 2)
        var c = randomArray(max(1, t.m * ldc), seed: 3)
        if t.beta == 0 { for i in c.indices { c[i] = .nan } } // beta = 0 must never read C
        var ref = c
        var bound = [Double](repeating: 0, count: c.count)
        for i in 0..<t.m {
            for j in 0..<t.n {
                var s = 0.0
                for p in 0..<t.k {
                    let av = t.ta == .n ? a[i * lda + p] : a[p * lda + i]
                    let bv = t.tb == .n ? b[p * ldb + j] : b[j * ldb + p]
                    s += abs(Double(av) * Double(bv))
                }
                let cOld = t.beta == 0 ? 0 : abs(Double(t.beta) * Double(c[i * ldc + j]))
                bound[i * ldc + j] = 2 * Double(t.k + 2) * 0x1p-24 * (abs(Double(t.alpha)) * s + cOld) + 1e-30
            }
        }
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                sgemm(t.ta, t.tb, m: t.m, n: t.n, k: t.k, alpha: t.alpha, a: pa.baseAddress!, lda: lda,
                      b: pb.baseAddress!, ldb: ldb, beta: t.beta, c: pc.baseAddress!, ldc: ldc,
                      on: ExecutionContext(threads: threads, gemm: context))
            }
            ref.withUnsafeMutableBufferPointer { pr in
                sgemmReference(t.ta, t.tb, m: t.m, n: t.n, k: t.k, alpha: t.alpha, a: pa.baseAddress!, lda: lda,
                               b: pb.baseAddress!, ldb: ldb, beta: t.beta, c: pr.baseAddress!, ldc: ldc)
            }
        } }
        var failures = 0
        for i in 0..<t.m {
            for j in 0..<t.n where !(abs(Double(c[i * ldc + j]) - Double(ref[i * ldc + j])) <= bound[i * ldc + j]) {
                failures += 1
                if failures == 1 {
                    XCTFail("\(context.kernel.name) \(t): C[\(i),\(j)] = \(c[i * ldc + j]), reference \(ref[i * ldc + j]), bound \(bound[i * ldc + j])",
                            file: file, line: line)
                }
            }
            // Padding columns of C (beyond n) must be untouched.
            for j in t.n..<ldc where !(c[i * ldc + j].isNaN && ref[i * ldc + j].isNaN) && c[i * ldc + j] != ref[i * ldc + j] {
                XCTFail("\(context.kernel.name) \(t): wrote C[\(i),\(j)] outside the matrix", file: file, line: line)
                return
            }
        }
    }

    /// Awkward sizes around every block edge, for every kernel this CPU can run.
    func testAwkwardSizesAllKernelsAllTransposes() {
        for kernel in MicroKernel.supported {
            let ctx = GEMMContext.tuned(for: kernel)
            let mr = kernel.mr, nr = kernel.nr
            let sizes = Array(Set([1, 2, 7, mr - 1, mr + 1, nr - 1, nr + 1, 257])).sorted()
            for ta in [Transpose.n, .t] {
                for tb in [Transpose.n, .t] {
                    for m in sizes {
                        for n in [1, nr + 1, 257] {
                            check(Case(m: m, n: n, k: 7, ta: ta, tb: tb, alpha: 1, beta: 0, pad: 0), context: ctx)
                        }
                    }
                    for n in sizes {
                        check(Case(m: mr + 1, n: n, k: 2, ta: ta, tb: tb, alpha: 1, beta: 0, pad: 0), context: ctx)
                    }
                    for k in [1, 2, 7, ctx.kc + 1, 2 * ctx.kc + 3] {
                        check(Case(m: 2 * mr + 3, n: nr + 5, k: k, ta: ta, tb: tb, alpha: 1, beta: 0, pad: 0), context: ctx)
                    }
                }
            }
        }
    }

    /// alpha and beta (zero, one, other), and leading dimensions larger than the matrix.
    func testAlphaBetaAndLeadingDimensions() {
        for kernel in MicroKernel.supported {
            let ctx = GEMMContext.tuned(for: kernel)
            for (alpha, beta) in [(Float(1), Float(0)), (1, 1), (-0.5, 2.5), (2, -1)] {
                for ta in [Transpose.n, .t] {
                    for tb in [Transpose.n, .t] {
                        check(Case(m: 37, n: 45, k: 29, ta: ta, tb: tb, alpha: alpha, beta: beta, pad: 5), context: ctx)
                    }
                }
            }
        }
    }

    /// Tiny blocks force many JC/PC/IC passes, uneven last blocks and the pack-on-the-fly path.
    func testSmallBlocksExerciseEveryLoop() {
        for kernel in MicroKernel.supported {
            var ctx = GEMMContext(kernel: kernel, mc: 2 * kernel.mr, kc: 5, nc: 2 * kernel.nr)
            ctx.packOnTheFlyMinDepth = 3
            for ta in [Transpose.n, .t] {
                for tb in [Transpose.n, .t] {
                    check(Case(m: 5 * kernel.mr + 3, n: 3 * kernel.nr + 7, k: 23, ta: ta, tb: tb, alpha: 1.5, beta: 0.5, pad: 3),
                          context: ctx, threads: 2)
                    check(Case(m: kernel.mr + 1, n: 9 * kernel.nr + 1, k: 17, ta: ta, tb: tb, alpha: 1, beta: 0, pad: 0),
                          context: ctx, threads: 2)
                }
            }
        }
    }

    /// A pre-packed A gives bit-identical results to packing it in the call, at awkward sizes,
    /// several k passes and with threads.
    func testPackedAMatchesPackingInTheCall() {
        for kernel in MicroKernel.supported {
            var ctx = GEMMContext(kernel: kernel, mc: 2 * kernel.mr, kc: 7, nc: 2 * kernel.nr)
            ctx.parallelThreshold = 0
            for (m, n, k) in [(1, 1, 1), (kernel.mr + 1, kernel.nr - 1, 23), (3 * kernel.mr + 5, 2 * kernel.nr + 3, 15), (37, 300, 64)] {
                for ta in [Transpose.n, .t] {
                    for tb in [Transpose.n, .t] {
                        let lda = ta == .n ? k : m, ldb = tb == .n ? n : k
                        let a = randomArray(m * k, seed: 21), b = randomArray(k * n, seed: 22)
                        var expected = randomArray(m * n, seed: 23), actual = expected
                        let exec = ExecutionContext(threads: 2, gemm: ctx)
                        sgemm(ta, tb, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2, c: &expected, ldc: n,
                              on: exec)
                        let packed = PackedA(ta, a: a, lda: lda, m: m, k: k, for: exec)
                        sgemm(packedA: packed, tb, n: n, alpha: 0.5, b: b, ldb: ldb, beta: 2, c: &actual, ldc: n, on: exec)
                        XCTAssertEqual(actual, expected, "\(kernel.name) \(m)x\(k)x\(n) \(ta)\(tb)")
                    }
                }
            }
        }
    }

    func testZeroDepthScalesC() {
        var c: [Float] = [1, 2, 3, 4]
        let a: [Float] = [0], b: [Float] = [0]
        sgemm(.n, .n, m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, beta: 3, c: &c, ldc: 2, on: testContext)
        XCTAssertEqual(c, [3, 6, 9, 12])
        sgemm(.n, .n, m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, beta: 0, c: &c, ldc: 2, on: testContext)
        XCTAssertEqual(c, [0, 0, 0, 0])
    }

    /// The contract that makes every later result reproducible: 1 and N threads agree bit for bit.
    func testBitIdenticalAcrossThreadCounts() {
        for kernel in MicroKernel.supported {
            var ctx = GEMMContext.tuned(for: kernel)
            ctx.parallelThreshold = 0
            for (m, n, k) in [(131, 97, 300), (8, 1000, 9), (300, 40, 70), (1, 1, 1)] {
                for (ta, tb) in [(Transpose.n, Transpose.n), (.t, .n), (.n, .t), (.t, .t)] {
                    let a = randomArray(m * k, seed: 11), b = randomArray(k * n, seed: 12)
                    var outputs: [[Float]] = []
                    for threads in [1, 2, 3] {
                        var c = [Float](repeating: 0, count: m * n)
                        sgemm(ta, tb, m: m, n: n, k: k, a: a, lda: ta == .n ? k : m, b: b, ldb: tb == .n ? n : k,
                              c: &c, ldc: n, on: ExecutionContext(threads: threads, gemm: ctx))
                        outputs.append(c)
                    }
                    XCTAssertEqual(outputs[0], outputs[1], "\(kernel.name) \(m)x\(k)x\(n) \(ta)\(tb): 1 vs 2 threads")
                    XCTAssertEqual(outputs[0], outputs[2], "\(kernel.name) \(m)x\(k)x\(n) \(ta)\(tb): 1 vs 3 threads")
                }
            }
        }
    }

    /// Two threads split C by their measured speeds, so the split moves from call to call. Calls long
    /// enough to be measured (after a job that teaches the pool uneven speeds), with small blocks so
    /// the moving split lands inside A blocks: every call bit-identical to one thread.
    func testBitIdenticalWhileTheSplitAdapts() {
        var ctx = GEMMContext(kernel: .detected(), mc: 24, kc: 40, nc: 64)
        ctx.parallelThreshold = 0
        let exec = ExecutionContext(threads: 2, gemm: ctx)
        let (m, n, k) = (517, 203, 300)
        let a = randomArray(m * k, seed: 21), b = randomArray(k * n, seed: 22)
        var reference = [Float](repeating: 0, count: m * n)
        sgemm(.n, .n, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &reference, ldc: n, on: exec, threads: 1)
        for call in 0..<12 {
            // The thread that takes the first half measures slow (see ParallelTests for the shares moving).
            exec.forEachShare(64) { spinUnevenly($0, costlyBelow: 32) }
            var c = [Float](repeating: 0, count: m * n)
            sgemm(.n, .n, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n, on: exec)
            XCTAssertEqual(c, reference, "call \(call)")
        }
    }

    /// Small blocks, so the multi-threaded paths cross several k passes and column blocks, with
    /// beta != 0, on row and column splits, and short C (16 rows: B panels packed on the fly).
    func testBitIdenticalAcrossThreadCountsWithSmallBlocks() {
        var ctx = GEMMContext(kernel: .detected(), mc: 16, kc: 40, nc: 64)
        ctx.parallelThreshold = 0
        ctx.packOnTheFlyMinDepth = 16
        for (m, n, k) in [(131, 97, 300), (300, 200, 70), (40, 1000, 130), (16, 300, 130), (17, 5, 3)] {
            for (ta, tb) in [(Transpose.n, Transpose.n), (.t, .t)] {
                let a = randomArray(m * k, seed: 21), b = randomArray(k * n, seed: 22), c0 = randomArray(m * n, seed: 23)
                var outputs: [[Float]] = []
                for threads in [1, 2, 3] {
                    var c = c0
                    sgemm(ta, tb, m: m, n: n, k: k, alpha: 0.75, a: a, lda: ta == .n ? k : m, b: b,
                          ldb: tb == .n ? n : k, beta: 0.5, c: &c, ldc: n, on: ExecutionContext(threads: threads, gemm: ctx))
                    outputs.append(c)
                }
                XCTAssertEqual(outputs[0], outputs[1], "\(m)x\(k)x\(n) \(ta)\(tb): 1 vs 2 threads")
                XCTAssertEqual(outputs[0], outputs[2], "\(m)x\(k)x\(n) \(ta)\(tb): 1 vs 3 threads")
                check(Case(m: m, n: n, k: k, ta: ta, tb: tb, alpha: 0.75, beta: 0.5, pad: 3), context: ctx, threads: 2)
            }
        }
    }

    func testWorkerSplitTakesRowsWhenBIsTheSmallerCopy() {
        XCTAssertTrue(WorkerSplit(workers: 2, m: 1024, n: 1024, mr: 8, nr: 32).byRows)
        XCTAssertFalse(WorkerSplit(workers: 2, m: 32, n: 100_352, mr: 8, nr: 32).byRows)
        XCTAssertTrue(WorkerSplit(workers: 2, m: 17, n: 5, mr: 8, nr: 32).byRows)   // one column panel
        XCTAssertEqual(WorkerSplit(workers: 2, m: 17, n: 5, mr: 8, nr: 32).panels, 3)
    }

    func testKernelSelectionPicksASupportedKernel() {
        XCTAssertTrue(MicroKernel.supported.contains { $0.name == MicroKernel.detected().name })
        XCTAssertEqual(MicroKernel.detected(environment: ["ROBUST_KERNEL": "portable"]).name, MicroKernel.portable.name)
        XCTAssertEqual(MicroKernel.detected(environment: ["ROBUST_KERNEL": "no-such-kernel"]).name, MicroKernel.supported.first?.name)
        XCTAssertEqual(MicroKernel.supported.last?.name, MicroKernel.portable.name)
    }
}
