import Kernels
import XCTest
import _TestSupport

/// The lane sums behind BatchNorm's statistics against plain Double sums, on lengths around the
/// 8-lane width (0, 1, 7, 8, 9, 15, 784).
final class LaneSumTests: XCTestCase {
    func testLaneSumsMatchDoubleSums() {
        for count in [0, 1, 7, 8, 9, 15, 784] {
            let x = randomArray(count, seed: UInt64(count)).map { $0 * 3 + 0.5 }
            let dy = randomArray(count, seed: UInt64(count + 1000))
            let mean: Float = 0.4, scale: Float = 1.7
            let sum = x.reduce(0.0) { $0 + Double($1) }
            let squares = x.reduce(0.0) { $0 + Double($1 - mean) * Double($1 - mean) }
            let dySum = dy.reduce(0.0) { $0 + Double($1) }
            let dyH = zip(dy, x).reduce(0.0) { $0 + Double($1.0) * Double(($1.1 - mean) * scale) }
            x.withUnsafeBufferPointer { xp in
            dy.withUnsafeBufferPointer { dp in
                let base = xp.baseAddress ?? UnsafePointer(bitPattern: 16)!, dbase = dp.baseAddress ?? UnsafePointer(bitPattern: 16)!
                XCTAssertEqual(laneSum(base, count: count), sum, accuracy: 1e-5 * max(1, abs(sum)) + 1e-4, "\(count)")
                XCTAssertEqual(laneSumOfSquares(base, count: count, around: mean), squares, accuracy: 1e-5 * max(1, squares), "\(count)")
                let pair = laneSums(dbase, base, count: count, mean: mean, scale: scale)
                XCTAssertEqual(pair.sum, dySum, accuracy: 1e-5 * max(1, abs(dySum)) + 1e-4, "\(count)")
                XCTAssertEqual(pair.sumTimesNormalised, dyH, accuracy: 1e-5 * max(1, abs(dyH)) + 1e-4, "\(count)")
            }}
        }
    }
}
