import Attacks
import XCTest

/// A step of the iterative attacks, element by element against its definition: `x + alpha * d` with
/// d = sign(g) (L-inf) or g / ||g||_2 (L2, the norm in Double), then the projection onto the ball
/// and the box. Exact equality: `ascend` and `project` promise the same float operations.
final class NormTests: XCTestCase {
    let g: [Float] = [0.3, -2, 0, -0.0, 1e-40, -1e-40, 7, 0.5, -0.25, 3]
    let x: [Float] = [0.5, 0.02, 0.99, 0, 1, 0.5, 0.97, 0.3, 0.0, 0.6]
    let clean: [Float] = [0.45, 0.1, 1, 0.05, 0.95, 0.5, 0.9, 0.3, 0.02, 0.2]

    func testAscendIsAlphaTimesTheSteepestDirection() {
        let alpha: Float = 0.025
        let sign = g.map { $0 > 0 ? Float(1) : ($0 < 0 ? -1 : 0) }
        let length = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let unit = g.map { $0 * Float(1 / (length + 1e-12)) }
        for (norm, direction) in [(Norm.linf, sign), (Norm.l2, unit)] {
            XCTAssertEqual(norm.steepestDirection(g[...]), direction, "\(norm)")
            var stepped = x
            stepped.withUnsafeMutableBufferPointer { s in
                g.withUnsafeBufferPointer { norm.ascend(s.baseAddress!, along: $0.baseAddress!, by: alpha, count: g.count) }
            }
            XCTAssertEqual(stepped, zip(x, direction).map { $0 + alpha * $1 }, "\(norm)")
        }
        // A zero gradient leaves x where it is, in both norms (L2 divides by 1e-12, not by 0).
        for norm in Norm.allCases {
            var stepped = x
            let zeros = [Float](repeating: 0, count: x.count)
            stepped.withUnsafeMutableBufferPointer { s in
                zeros.withUnsafeBufferPointer { norm.ascend(s.baseAddress!, along: $0.baseAddress!, by: 0.5, count: x.count) }
            }
            XCTAssertEqual(stepped, x, "\(norm)")
        }
    }

    /// Empty rows (an image with no pixels) pass through instead of trapping on a missing base address.
    func testEmptyRows() {
        for norm in Norm.allCases {
            XCTAssertEqual(norm.steepestDirection([Float]()[...]), [])
            var empty = [Float]()[...]
            norm.project(&empty, clean: [Float]()[...], eps: 0.1)
            XCTAssertTrue(empty.isEmpty)
        }
    }

    func testProjectionOntoTheBallAndTheBox() {
        let eps: Float = 0.04
        var linf = x[...]
        Norm.linf.project(&linf, clean: clean[...], eps: eps)
        XCTAssertEqual(Array(linf), zip(x, clean).map { min(max(min(max($0, $1 - eps), $1 + eps), 0), 1) })
        let length = zip(x, clean).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        let scale = length > Double(eps) ? Double(eps) / length : 1
        var l2 = x[...]
        Norm.l2.project(&l2, clean: clean[...], eps: eps)
        XCTAssertEqual(Array(l2), zip(x, clean).map { min(max($1 + Float(Double($0 - $1) * scale), 0), 1) })
        // Inside the ball and the box: untouched.
        var inside = clean[...]
        for norm in Norm.allCases {
            norm.project(&inside, clean: clean[...], eps: eps)
            XCTAssertEqual(Array(inside), clean, "\(norm)")
        }
    }
}
