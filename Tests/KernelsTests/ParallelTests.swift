import Dispatch
import Kernels
import XCTest

/// `Parallel.forEach`: every index once, and inline (on the worker's own thread) when nested.
final class ParallelTests: XCTestCase {
    func testEveryIndexOnceAndNestedLoopsRunInline() {
        let outer = 6, inner = 5
        var hits = [Int](repeating: 0, count: outer * inner)
        var nestedInline = [Bool](repeating: false, count: outer)
        XCTAssertFalse(Parallel.isInsideWorker)
        hits.withUnsafeMutableBufferPointer { h in
        nestedInline.withUnsafeMutableBufferPointer { nested in
            Parallel.forEach(outer, threads: 2) { i in
                let thread = pthread_self()
                var sameThread = true
                Parallel.forEach(inner, threads: 2) { j in
                    h[i * inner + j] += 1
                    sameThread = sameThread && pthread_equal(thread, pthread_self()) != 0
                }
                nested[i] = sameThread && Parallel.isInsideWorker
            }
        }}
        XCTAssertEqual(hits, [Int](repeating: 1, count: outer * inner))
        XCTAssertEqual(nestedInline, [Bool](repeating: true, count: outer))
        XCTAssertFalse(Parallel.isInsideWorker, "the marker is cleared when the loop ends")
    }

    /// Many back-to-back jobs of every size, with idle gaps (workers fall asleep and must wake),
    /// and callers on two threads at once (one gets the pool, the other Dispatch): every index
    /// runs exactly once each time, and nothing hangs.
    func testManyJobsAndConcurrentCallers() {
        var total = 0
        for round in 0..<2_000 {
            let count = 1 + round % 37
            var hits = [Int](repeating: 0, count: count)
            hits.withUnsafeMutableBufferPointer { h in Parallel.forEach(count, threads: 2) { h[$0] += 1 } }
            XCTAssertEqual(hits, [Int](repeating: 1, count: count), "round \(round)")
            total += hits.count
            if round % 500 == 499 { usleep(3_000) }
        }
        XCTAssertEqual(total, (0..<2_000).reduce(0) { $0 + 1 + $1 % 37 })

        var sums = [Int](repeating: 0, count: 2)
        sums.withUnsafeMutableBufferPointer { s in
            DispatchQueue.concurrentPerform(iterations: 2) { caller in
                for _ in 0..<300 {
                    var hits = [Int](repeating: 0, count: 16)
                    hits.withUnsafeMutableBufferPointer { h in Parallel.forEach(16, threads: 2) { h[$0] += 1 } }
                    s[caller] += hits.reduce(0, +)
                }
            }
        }
        XCTAssertEqual(sums, [300 * 16, 300 * 16])
    }
}
