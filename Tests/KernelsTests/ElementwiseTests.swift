import Kernels
import XCTest
import _TestSupport

/// The SIMD elementwise kernels against their scalar definitions, at lengths around the
/// 8-wide vector (tails of 0..7 elements), with zeros and NaN.
final class ElementwiseTests: XCTestCase {
    func testReluAndMaskMatchDefinitions() {
        for count in [1, 7, 8, 9, 17, 64, 100] {
            var x = randomArray(count, seed: UInt64(count))
            x[0] = 0
            if count > 3 { x[3] = .nan }
            var y = [Float](repeating: 7, count: count)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { relu(xp.baseAddress!, into: $0.baseAddress!, count: count) } }
            var dX = [Float](repeating: 7, count: count)
            let dY = randomArray(count, seed: 99)
            x.withUnsafeBufferPointer { xp in
                dY.withUnsafeBufferPointer { dyp in
                    dX.withUnsafeMutableBufferPointer { reluMask(dyp.baseAddress!, input: xp.baseAddress!, into: $0.baseAddress!, count: count) }
                }
            }
            for i in 0..<count {
                if x[i].isNaN {
                    XCTAssertTrue(y[i].isNaN, "relu propagates NaN, count \(count)")
                } else {
                    XCTAssertEqual(y[i], max(x[i], 0), "count \(count) index \(i)")
                }
                XCTAssertEqual(dX[i], x[i] > 0 ? dY[i] : 0, "mask, count \(count) index \(i)")
            }
        }
    }
}
