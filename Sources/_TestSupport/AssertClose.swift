@_exported import TensorCore
import XCTest

/// Default tolerances for Float32 results compared with a Double-accumulated reference.
///
/// `rtol = 1e-4`: a Float32 sum of k products carries a relative error around sqrt(k)*6e-8
/// (1e-6 to 1e-5 for the sizes tested), so 1e-4 leaves an order of magnitude of headroom while
/// still catching a wrong index (an error of order 1). `atol = 1e-5` covers values whose
/// exact result is near zero, where only the absolute error is meaningful.
public enum Tolerance {
    public static let rtol: Float = 1e-4
    public static let atol: Float = 1e-5
}

/// Asserts `|actual - expected| <= atol + rtol * |expected|` elementwise, after checking shapes.
/// Reports the worst element (index, both values) so a failure says where it went wrong.
public func assertClose(_ actual: Tensor, _ expected: Tensor,
                        rtol: Float = Tolerance.rtol, atol: Float = Tolerance.atol,
                        _ message: @autoclosure () -> String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail("shape mismatch: \(actual.shape) vs expected \(expected.shape). \(message())", file: file, line: line)
        return
    }
    assertClose(actual.storage, expected.storage, rtol: rtol, atol: atol, message(), file: file, line: line)
}

/// Array form of `assertClose` (counts must match).
public func assertClose(_ actual: [Float], _ expected: [Float],
                        rtol: Float = Tolerance.rtol, atol: Float = Tolerance.atol,
                        _ message: @autoclosure () -> String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("count mismatch: \(actual.count) vs expected \(expected.count). \(message())", file: file, line: line)
        return
    }
    var worst = -1
    var worstExcess: Float = 0
    for i in actual.indices {
        let a = actual[i], e = expected[i]
        let excess = abs(a - e) - (atol + rtol * abs(e))
        if !(excess <= 0) && (worst < 0 || excess > worstExcess || excess.isNaN) {
            worst = i
            worstExcess = excess
        }
    }
    if worst >= 0 {
        XCTFail("not close at index \(worst): \(actual[worst]) vs expected \(expected[worst]) "
                + "(rtol \(rtol), atol \(atol)). \(message())", file: file, line: line)
    }
}

/// Uniform values in [-1, 1) from a fixed seed: deterministic test data.
public func randomArray(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in rng.nextFloat() * 2 - 1 }
}

/// A tensor of uniform values in [-1, 1) from a fixed seed.
public func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    Tensor(shape: shape, storage: randomArray(shape.reduce(1, *), seed: seed))
}
