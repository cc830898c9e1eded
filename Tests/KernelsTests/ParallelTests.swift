import Dispatch
import Foundation
import Kernels
import XCTest
import _TestSupport

/// `ExecutionContext.forEach`: every index once, and inline (on the worker's own thread) when nested.
final class ParallelTests: XCTestCase {
    let context = ExecutionContext(threads: 3)

    func testEveryIndexOnceAndNestedLoopsRunInline() {
        let outer = 6, inner = 5
        var hits = [Int](repeating: 0, count: outer * inner)
        var nestedInline = [Bool](repeating: false, count: outer)
        XCTAssertFalse(Parallel.isInsideWorker)
        hits.withUnsafeMutableBufferPointer { h in
        nestedInline.withUnsafeMutableBufferPointer { nested in
            context.forEach(outer, threads: 2) { i in
                let thread = pthread_self()
                var sameThread = true
                context.forEach(inner, threads: 2) { j in
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
            hits.withUnsafeMutableBufferPointer { h in context.forEach(count, threads: 2) { h[$0] += 1 } }
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
                    hits.withUnsafeMutableBufferPointer { h in context.forEach(16, threads: 2) { h[$0] += 1 } }
                    s[caller] += hits.reduce(0, +)
                }
            }
        }
        XCTAssertEqual(sums, [300 * 16, 300 * 16])
    }

    /// `forEachShare` covers every unit exactly once, for unit counts below, at and above the thread
    /// count, including after the pool has learnt uneven speeds (the first units here cost four times
    /// the others, so whichever thread takes them measures slow and gets less next time).
    func testSharesCoverEveryUnitOnce() {
        for round in 0..<300 {
            let units = [1, 2, 3, 7, 16, 61][round % 6]
            var hits = [Int](repeating: 0, count: units)
            hits.withUnsafeMutableBufferPointer { h in
                context.forEachShare(units, threads: round % 3 + 1) { range in
                    for u in range { h[u] += 1 }
                    spinUnevenly(range, costlyBelow: units / 2)
                }
            }
            XCTAssertEqual(hits, [Int](repeating: 1, count: units), "round \(round), \(units) units")
        }
    }

    /// The pool's share arithmetic, without timing (a timed test failed whenever the machine was
    /// busy): a thread twice as fast as the other ends up with about two thirds of the units.
    func testSharesFollowMeasuredSpeeds() {
        var speeds = [1.0, 1.0]
        XCTAssertEqual(WorkShares.sizes(64, speeds: speeds), [32, 32])
        for _ in 0..<8 {
            let sizes = WorkShares.sizes(64, speeds: speeds)
            // Thread 0 does a unit in 1 µs, thread 1 in 2 µs.
            speeds = WorkShares.learnedSpeeds(speeds, unitsDone: sizes, busyNanos: [UInt64(sizes[0]) * 10_000, UInt64(sizes[1]) * 20_000])!
        }
        let sizes = WorkShares.sizes(64, speeds: speeds)
        XCTAssertEqual(Double(sizes[0]) / 64, 2.0 / 3, accuracy: 0.03, "shares \(sizes) for speeds \(speeds)")
        XCTAssertNil(WorkShares.learnedSpeeds(speeds, unitsDone: [10, 0], busyNanos: [500_000, 1]), "an idle participant says nothing")
        XCTAssertNil(WorkShares.learnedSpeeds(speeds, unitsDone: [10, 10], busyNanos: [100_000, 150_000]), "a short job says nothing")
        let moved = WorkShares.learnedSpeeds([1, 1], unitsDone: [300, 100], busyNanos: [1_000_000, 1_000_000])!
        XCTAssertEqual(moved[0], 1.25, accuracy: 1e-12) // rates 1.5 and 0.5 of the mean; halfway from 1
        XCTAssertEqual(moved[1], 0.75, accuracy: 1e-12)
    }
}
