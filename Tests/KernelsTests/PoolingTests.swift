import Kernels
import XCTest
import _TestSupport

/// The 2x2 max-pool kernel against a naive first-maximum pool, bit for bit (the sign of a zero
/// maximum included), at widths on both sides of its paths: rows of fewer than 4 outputs (element by
/// element), exactly 4, 4 plus a ragged end (redone as an overlapping vector), odd sizes.
final class PoolingTests: XCTestCase {
    /// (height, width) of one plane.
    let shapes = [(2, 2), (3, 3), (2, 4), (4, 2), (1, 6), (5, 1), (2, 14), (3, 15), (4, 14), (14, 14), (28, 28),
                  (15, 17), (2, 16), (2, 17), (5, 18), (6, 32), (7, 34), (9, 22), (2, 30), (8, 6), (10, 10), (13, 3),
                  (6, 12), (16, 2)]
    let sentinel: Float = 12345
    /// Floats of sentinel around each buffer: a step that leaves the plane would overwrite them.
    let margin = 40

    /// Small integers with +0 and -0 (many ties): the first maximum in row-major order wins.
    func tiedPlane(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let v = Int(rng.next() % 7) - 3
            return v == 0 && rng.next() % 2 == 0 ? -0.0 : Float(v)
        }
    }

    func testMatchesTheNaivePool() {
        for (index, (h, w)) in shapes.enumerated() {
            let x = tiedPlane(h * w, seed: UInt64(index))
            let (oh, ow) = (h / 2, w / 2)
            var y = [Float](), codes = [UInt8](), dX = [Float](repeating: sentinel, count: h * w)
            let dY = randomArray(oh * ow, seed: UInt64(100 + index))
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let at = [(0, 0), (0, 1), (1, 0), (1, 1)].map { (2 * oy + $0.0) * w + 2 * ox + $0.1 }
                    let best = (0..<4).first { c in at.allSatisfy { x[$0] <= x[at[c]] } }!
                    y.append(x[at[best]])
                    codes.append(UInt8(best))
                    for (c, i) in at.enumerated() { dX[i] = c == best ? dY[oy * ow + ox] : 0 }
                }
            }
            let (gotY, gotCodes, gotDX) = run(x: x, dY: dY, height: h, width: w)
            let what = "\(h)x\(w)"
            XCTAssertEqual(gotY.map(\.bitPattern), y.map(\.bitPattern), "outputs, \(what)")
            XCTAssertEqual(gotCodes, codes, "codes, \(what)")
            XCTAssertEqual(gotDX.map(\.bitPattern), dX.map(\.bitPattern), "dX (uncovered cells untouched), \(what)")
        }
    }

    /// `rectifying` stores `relu` of the outputs bit for bit (NaN, -0 and negatives included) and the same codes.
    func testRectifyingIsReluAfterThePool() {
        for (index, (h, w)) in shapes.enumerated() {
            var x = tiedPlane(h * w, seed: UInt64(700 + index))
            for i in stride(from: 2, to: x.count, by: 9) { x[i] = .nan }
            let count = (h / 2) * (w / 2)
            // One spare element: buffers of empty planes still have an address.
            var plain = [Float](repeating: 0, count: count + 1), rectified = plain, relued = plain
            var plainCodes = [UInt8](repeating: 0, count: count + 1), rectifiedCodes = plainCodes
            x.withUnsafeBufferPointer { xp in
                plain.withUnsafeMutableBufferPointer { yp in plainCodes.withUnsafeMutableBufferPointer { cp in
                    maxPool2x2(xp.baseAddress!, height: h, width: w, into: yp.baseAddress!, codes: cp.baseAddress!)
                }}
                rectified.withUnsafeMutableBufferPointer { yp in rectifiedCodes.withUnsafeMutableBufferPointer { cp in
                    maxPool2x2(xp.baseAddress!, height: h, width: w, rectifying: true, into: yp.baseAddress!, codes: cp.baseAddress!)
                }}
            }
            guard count > 0 else { continue }
            plain.withUnsafeBufferPointer { p in relued.withUnsafeMutableBufferPointer { relu(p.baseAddress!, into: $0.baseAddress!, count: count) } }
            XCTAssertEqual(rectified.map(\.bitPattern), relued.map(\.bitPattern), "\(h)x\(w)")
            XCTAssertEqual(rectifiedCodes, plainCodes, "\(h)x\(w)")
        }
    }

    /// A fused ReLU's mask (`positive`) passes a gradient exactly where `reluMask` would: > 0, not 0, -0, negatives or NaN.
    func testPositiveMaskIsReluMaskThenTheBackward() {
        for (index, (h, w)) in shapes.enumerated() {
            let x = randomArray(h * w, seed: UInt64(400 + index)), dY = randomArray((h / 2) * (w / 2), seed: UInt64(500 + index))
            var positive = randomArray(dY.count, seed: UInt64(600 + index))
            for i in stride(from: 0, to: positive.count, by: 5) { positive[i] = [0, -0.0, .nan, 1e-40][(i / 5) % 4] }
            var masked = dY
            for i in masked.indices where !(positive[i] > 0) { masked[i] = 0 }
            let expected = run(x: x, dY: masked, height: h, width: w)
            let got = run(x: x, dY: dY, positive: positive, height: h, width: w)
            XCTAssertEqual(got.dX.map(\.bitPattern), expected.dX.map(\.bitPattern), "\(h)x\(w)")
        }
    }

    /// Runs forward and backward on buffers with `margin` sentinels on each side; fails if any is overwritten.
    func run(x: [Float], dY: [Float], positive: [Float]? = nil, height h: Int, width w: Int,
             file: StaticString = #filePath, line: UInt = #line) -> (y: [Float], codes: [UInt8], dX: [Float]) {
        let outputs = (h / 2) * (w / 2)
        let padded = { (values: [Float]) in [Float](repeating: self.sentinel, count: self.margin) + values
            + [Float](repeating: self.sentinel, count: self.margin) }
        let input = padded(x), gradient = padded(dY), mask = positive.map(padded) ?? []
        var y = padded([Float](repeating: sentinel, count: outputs))
        var codes = [UInt8](repeating: 99, count: outputs + 2 * margin)
        var dX = padded([Float](repeating: sentinel, count: h * w))
        input.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
        codes.withUnsafeMutableBufferPointer { cp in
            maxPool2x2(xp.baseAddress! + margin, height: h, width: w, into: yp.baseAddress! + margin, codes: cp.baseAddress! + margin)
        }}}
        gradient.withUnsafeBufferPointer { gp in
        codes.withUnsafeBufferPointer { cp in
        mask.withUnsafeBufferPointer { mp in
        dX.withUnsafeMutableBufferPointer { dp in
            maxPool2x2Backward(gp.baseAddress! + margin, codes: cp.baseAddress! + margin,
                               passingWherePositive: positive == nil ? nil : mp.baseAddress! + margin, height: h, width: w,
                               into: dp.baseAddress! + margin)
        }}}}
        for (name, buffer) in [("outputs", y), ("dX", dX)] {
            let outside = buffer.prefix(margin) + buffer.suffix(margin)
            XCTAssertTrue(outside.allSatisfy { $0 == sentinel }, "\(name) written outside the plane, \(h)x\(w)", file: file, line: line)
        }
        XCTAssertTrue((codes.prefix(margin) + codes.suffix(margin)).allSatisfy { $0 == 99 }, "codes written outside, \(h)x\(w)",
                      file: file, line: line)
        func inside<T>(_ b: [T]) -> [T] { Array(b[margin..<(b.count - margin)]) }
        return (inside(y), inside(codes), inside(dX))
    }
}
