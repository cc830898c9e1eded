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
}
