import NN
import XCTest

/// Tolerances of the central-difference gradient check.
///
/// The numeric gradient `(L(x+h) - L(x-h)) / 2h` is evaluated with Float forwards, differences
/// accumulated in Double. Its error has two parts: truncation, `h^2/6 * L'''`, about 2e-5 for
/// h = 1e-2 on the smooth layers (zero on piecewise-linear ones away from kinks); and rounding,
/// the Float error of the affected outputs (~ sqrt(k) * 6e-8 * |y| per output, k the reduction
/// depth) divided by 2h, about 1e-4 for the sizes tested. `atol = 2e-3` and `rtol = 1e-2` sit an
/// order of magnitude above both, and well below a wrong gradient (an error of order |g|).
public enum GradientTolerance {
    public static let h: Float = 1e-2
    public static let rtol: Double = 1e-2
    public static let atol: Double = 2e-3
}

/// Central difference `(f(x + h e_i) - f(x - h e_i)) / 2h` of a scalar function, in Double.
public func numericDerivative(at x: Tensor, index i: Int, h: Float = GradientTolerance.h, _ f: (Tensor) -> Double) -> Double {
    var probe = x
    let saved = probe.storage[i]
    probe.storage[i] = saved + h
    let plus = f(probe)
    probe.storage[i] = saved - h
    let minus = f(probe)
    // Divide by the step actually taken (x+h and x-h are rounded to Float).
    return (plus - minus) / (Double(saved + h) - Double(saved - h))
}

/// Numeric gradient of a scalar function of a tensor by central differences, in Double.
public func numericGradient(at x: Tensor, h: Float = GradientTolerance.h, _ f: (Tensor) -> Double) -> [Double] {
    (0..<x.count).map { numericDerivative(at: x, index: $0, h: h, f) }
}

/// `sum_i y_i * r_i` in Double: a scalar loss whose gradient with respect to y is exactly r.
public func weightedSum(_ y: Tensor, _ r: Tensor) -> Double {
    precondition(y.shape == r.shape, "weightedSum: shapes \(y.shape) and \(r.shape) differ")
    var sum = 0.0
    for i in 0..<y.count { sum += Double(y.storage[i]) * Double(r.storage[i]) }
    return sum
}

/// Asserts `|analytic - numeric| <= atol + rtol * |numeric|` elementwise, naming the worst element.
///
/// Kinks: a probe of a network with ReLU or max inside may cross a kink, where the central
/// difference is meaningless (in a BatchNorm'd layer one weight moves a whole channel, so some
/// crossing is likely). When `halfStep` is given, a mismatching element is probed again with h/2:
/// if the two numeric values disagree with each other the function is not smooth within h there
/// and the element is skipped; if they agree, the analytic value is wrong and the check fails.
/// At most `maxSkippedFraction` of the elements may be skipped.
public func assertGradientClose(_ analytic: [Float], _ numeric: [Double], _ what: String,
                                rtol: Double = GradientTolerance.rtol, atol: Double = GradientTolerance.atol,
                                halfStep: ((Int) -> Double)? = nil, maxSkippedFraction: Double = 0.1,
                                file: StaticString = #filePath, line: UInt = #line) {
    guard analytic.count == numeric.count else {
        XCTFail("\(what): \(analytic.count) analytic vs \(numeric.count) numeric values", file: file, line: line)
        return
    }
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= atol + rtol * abs(b) }
    var worst = -1
    var worstExcess = 0.0
    var skipped = 0
    for i in analytic.indices where !close(Double(analytic[i]), numeric[i]) {
        if let halfStep, !close(halfStep(i), numeric[i]) {
            skipped += 1
            continue
        }
        let excess = abs(Double(analytic[i]) - numeric[i]) - (atol + rtol * abs(numeric[i]))
        if worst < 0 || excess > worstExcess || excess.isNaN {
            worst = i
            worstExcess = excess
        }
    }
    if worst >= 0 {
        XCTFail("\(what): gradient at index \(worst) is \(analytic[worst]), central difference gives \(numeric[worst]) "
                + "(rtol \(rtol), atol \(atol))", file: file, line: line)
    }
    if Double(skipped) > maxSkippedFraction * Double(analytic.count) {
        XCTFail("\(what): \(skipped) of \(analytic.count) elements sit on kinks (numeric values at h and h/2 disagree); "
                + "use a smaller h or other data", file: file, line: line)
    }
}

/// Checks a layer's backward (input gradient and every parameter gradient) against central differences.
///
/// Elements where the layer is not smooth within h (a ReLU or max kink) are skipped, up to 10%
/// (see `assertGradientClose`); tests of single layers choose inputs away from kinks, so none are.
/// The loss is `L = sum(forward(x) * R)` with a fixed random R, so `dL/dY = R` and backward(R)
/// must equal the numeric dL/dx and dL/dW. The layer's mode (training or inference) is used as set.
public func checkGradients(of layer: any Layer, input x: Tensor, seed: UInt64 = 99,
                           h: Float = GradientTolerance.h,
                           rtol: Double = GradientTolerance.rtol, atol: Double = GradientTolerance.atol,
                           file: StaticString = #filePath, line: UInt = #line) {
    let y = layer.forward(x)
    let r = randomTensor(y.shape, seed: seed)
    layer.zeroGrad()
    let dX = layer.backward(r, accumulateParameterGradients: true)
    let parameters = layer.namedParameters()
    let analytic = parameters.map { $0.parameter.grad }

    let loss = { (input: Tensor) in weightedSum(layer.forward(input), r) }
    assertGradientClose(dX.storage, numericGradient(at: x, h: h, loss), "dX", rtol: rtol, atol: atol,
                        halfStep: { numericDerivative(at: x, index: $0, h: h / 2, loss) }, file: file, line: line)

    for (index, entry) in parameters.enumerated() {
        let p = entry.parameter
        let original = p.value
        let loss = { (value: Tensor) -> Double in
            p.value = value
            defer { p.value = original }
            return weightedSum(layer.forward(x), r)
        }
        assertGradientClose(analytic[index].storage, numericGradient(at: original, h: h, loss), "d\(entry.name)",
                            rtol: rtol, atol: atol, halfStep: { numericDerivative(at: original, index: $0, h: h / 2, loss) },
                            file: file, line: line)
    }
}
