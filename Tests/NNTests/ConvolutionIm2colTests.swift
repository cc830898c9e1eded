import Kernels
import XCTest
import _TestSupport

/// im2col against its definition, and col2im as its exact adjoint.
final class ConvolutionIm2colTests: XCTestCase {
    let geometries = [
        ConvGeometry(channels: 2, height: 5, width: 7, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
        ConvGeometry(channels: 3, height: 6, width: 5, kernelHeight: 3, kernelWidth: 2, stride: 2, padding: 2),
        ConvGeometry(channels: 1, height: 7, width: 8, kernelHeight: 5, kernelWidth: 5, stride: 2, padding: 0),
        ConvGeometry(channels: 2, height: 4, width: 3, kernelHeight: 1, kernelWidth: 1, stride: 1, padding: 0),
    ]

    func testOutputSizeFormula() {
        let g = ConvGeometry(channels: 3, height: 32, width: 28, kernelHeight: 5, kernelWidth: 3, stride: 2, padding: 1)
        XCTAssertEqual(g.outHeight, (32 + 2 - 5) / 2 + 1)
        XCTAssertEqual(g.outWidth, (28 + 2 - 3) / 2 + 1)
        XCTAssertEqual(g.colRows, 3 * 5 * 3)
    }

    func testIm2colMatchesDefinition() {
        for (index, g) in geometries.enumerated() {
            let x = randomArray(g.imageCount, seed: UInt64(index))
            var col = [Float](repeating: .nan, count: g.colRows * g.colColumns)
            x.withUnsafeBufferPointer { xp in
                col.withUnsafeMutableBufferPointer { cp in im2col(xp.baseAddress!, g, into: cp.baseAddress!) }
            }
            var expected = [Float](repeating: 0, count: col.count)
            for c in 0..<g.channels {
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        for oy in 0..<g.outHeight {
                            for ox in 0..<g.outWidth {
                                let y = oy * g.stride - g.padding + i, xx = ox * g.stride - g.padding + j
                                let inside = y >= 0 && y < g.height && xx >= 0 && xx < g.width
                                expected[((c * g.kernelHeight + i) * g.kernelWidth + j) * g.colColumns + oy * g.outWidth + ox] =
                                    inside ? x[(c * g.height + y) * g.width + xx] : 0
                            }
                        }
                    }
                }
            }
            XCTAssertEqual(col, expected, "geometry \(g)")  // a copy: exact
        }
    }

    /// <im2col(x), Y> == <x, col2im(Y)>: col2im is the transpose of im2col, which is what the conv input gradient needs.
    func testCol2imIsAdjointOfIm2col() {
        for (index, g) in geometries.enumerated() {
            let x = randomArray(g.imageCount, seed: UInt64(10 + index))
            let yCol = randomArray(g.colRows * g.colColumns, seed: UInt64(20 + index))
            var col = [Float](repeating: 0, count: yCol.count)
            var back = [Float](repeating: 0, count: x.count)
            x.withUnsafeBufferPointer { xp in
                col.withUnsafeMutableBufferPointer { cp in im2col(xp.baseAddress!, g, into: cp.baseAddress!) }
            }
            yCol.withUnsafeBufferPointer { yp in
                back.withUnsafeMutableBufferPointer { bp in col2im(yp.baseAddress!, g, addingInto: bp.baseAddress!) }
            }
            let lhs = zip(col, yCol).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rhs = zip(x, back).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            // Both sides sum the same products; rhs rounds partial sums in Float inside col2im (a few terms each).
            XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)), "geometry \(g)")
        }
    }

    /// The gathering fold writes exactly what col2im adds into zeros, bit for bit, on stride-1
    /// geometries with interiors wider and narrower than a vector, padding 0 to 2, kernels 1, 3, 5, 2x3.
    func testCol2imGatherMatchesCol2im() {
        let strideOne = [
            ConvGeometry(channels: 2, height: 5, width: 7, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
            ConvGeometry(channels: 3, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
            ConvGeometry(channels: 1, height: 11, width: 23, kernelHeight: 5, kernelWidth: 5, stride: 1, padding: 2),
            ConvGeometry(channels: 2, height: 9, width: 19, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0),
            ConvGeometry(channels: 2, height: 6, width: 13, kernelHeight: 2, kernelWidth: 3, stride: 1, padding: 1),
            ConvGeometry(channels: 2, height: 4, width: 3, kernelHeight: 1, kernelWidth: 1, stride: 1, padding: 0),
            ConvGeometry(channels: 1, height: 1, width: 1, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1),
        ]
        for (index, g) in strideOne.enumerated() {
            let col = randomArray(g.colRows * g.colColumns, seed: UInt64(30 + index))
            var scattered = [Float](repeating: 0, count: g.imageCount)
            var gathered = [Float](repeating: .nan, count: g.imageCount)
            col.withUnsafeBufferPointer { cp in
                scattered.withUnsafeMutableBufferPointer { col2im(cp.baseAddress!, g, addingInto: $0.baseAddress!) }
                gathered.withUnsafeMutableBufferPointer { col2imGather(cp.baseAddress!, g, into: $0.baseAddress!) }
            }
            XCTAssertEqual(gathered, scattered, "geometry \(g)")
        }
    }
}
