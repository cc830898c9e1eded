import NN
import XCTest
import _TestSupport

/// Two steps of each optimiser on a 3-element parameter with a fixed gradient, against the
/// `torch.optim` update formulas evaluated here in Double (the expected values are written out
/// as those formulas, so a reader can check them against PyTorch's documentation).
///
/// Tolerance 1e-6 absolute: the values are O(1), Float32 rounding of a few operations is ~1e-7.
final class OptimizerTests: XCTestCase {
    let p0: [Double] = [1.0, -2.0, 0.5]
    let g: [Double] = [0.1, -0.3, 0.2]
    let lr = 0.1

    /// A parameter holding `p0` with gradient `g`, named as in a model.
    func makeParameter() -> [(name: String, parameter: Parameter)] {
        let parameter = Parameter("weight", Tensor(shape: [3], storage: p0.map(Float.init)))
        parameter.grad = Tensor(shape: [3], storage: g.map(Float.init))
        return [(name: "fc.weight", parameter: parameter)]
    }

    /// Runs two steps of `optimizer` (the gradient stays `g`) and returns the parameter.
    func twoSteps(_ optimizer: any Optimizer) -> [Float] {
        let parameters = makeParameter()
        optimizer.step(parameters, learningRate: Float(lr))
        optimizer.step(parameters, learningRate: Float(lr))
        return parameters[0].parameter.value.storage
    }

    func check(_ actual: [Float], _ expected: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        assertClose(actual, expected.map(Float.init), rtol: 0, atol: 1e-6, what, file: file, line: line)
    }

    func testPlainSGD() {
        // p = p - lr g, twice.
        check(twoSteps(SGD()), zip(p0, g).map { p, g in p - 2 * 0.1 * g }, "SGD")
    }

    func testSGDWithMomentum() {
        // t=1: b1 = g, p1 = p0 - lr b1; t=2: b2 = μ b1 + g, p2 = p1 - lr b2.
        let mu = 0.9
        let expected = zip(p0, g).map { p, g -> Double in
            let b1 = g, p1 = p - lr * b1
            let b2 = mu * b1 + g
            return p1 - lr * b2
        }
        check(twoSteps(SGD(momentum: 0.9)), expected, "SGD momentum")
    }

    func testSGDWithNesterov() {
        // t=1: b1 = g, p1 = p0 - lr (g + μ b1); t=2: b2 = μ b1 + g, p2 = p1 - lr (g + μ b2).
        let mu = 0.9
        let expected = zip(p0, g).map { p, g -> Double in
            let b1 = g, p1 = p - lr * (g + mu * b1)
            let b2 = mu * b1 + g
            return p1 - lr * (g + mu * b2)
        }
        check(twoSteps(SGD(momentum: 0.9, nesterov: true)), expected, "SGD Nesterov")
    }

    func testSGDWithMomentumAndWeightDecay() {
        // d_t = g + λ p_{t-1}; b1 = d1; b2 = μ b1 + d2; p_t = p_{t-1} - lr b_t.
        let mu = 0.9, wd = 0.01
        let expected = zip(p0, g).map { p, g -> Double in
            let d1 = g + wd * p, b1 = d1, p1 = p - lr * b1
            let d2 = g + wd * p1, b2 = mu * b1 + d2
            return p1 - lr * b2
        }
        check(twoSteps(SGD(momentum: 0.9, weightDecay: 0.01)), expected, "SGD momentum + weight decay")
    }

    /// Adam's update as in `torch.optim.Adam`, for `steps` steps, with L2 `wd` or decoupled `decoupled`.
    func adamReference(beta1: Double, beta2: Double, eps: Double, wd: Double, decoupled: Double, steps: Int) -> [Double] {
        zip(p0, g).map { p0, g -> Double in
            var p = p0, m = 0.0, v = 0.0
            for t in 1...steps {
                p *= 1 - lr * decoupled
                let d = g + wd * p
                m = beta1 * m + (1 - beta1) * d
                v = beta2 * v + (1 - beta2) * d * d
                let stepSize = lr / (1 - pow(beta1, Double(t)))
                let denom = v.squareRoot() / (1 - pow(beta2, Double(t))).squareRoot() + eps
                p -= stepSize * m / denom
            }
            return p
        }
    }

    func testAdam() {
        let expected = adamReference(beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0, decoupled: 0, steps: 2)
        // With a constant gradient the bias-corrected update is lr * sign(g) (up to eps) at every step.
        check(twoSteps(Adam()), expected, "Adam")
        check(twoSteps(Adam()), zip(p0, g).map { p, g in p - 2 * lr * (g > 0 ? 1 : -1) }, "Adam sign step")
    }

    func testAdamWithL2WeightDecay() {
        let expected = adamReference(beta1: 0.8, beta2: 0.99, eps: 1e-8, wd: 0.1, decoupled: 0, steps: 2)
        check(twoSteps(Adam(beta1: 0.8, beta2: 0.99, weightDecay: 0.1)), expected, "Adam + L2")
    }

    func testAdamW() {
        let expected = adamReference(beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0, decoupled: 0.1, steps: 2)
        check(twoSteps(AdamW(weightDecay: 0.1)), expected, "AdamW")
    }

    func testNoDecayPredicateSkipsOneDimensionalParameters() {
        let matrix = Parameter("weight", Tensor(shape: [1, 2], storage: [1, 1]))
        let bias = Parameter("bias", Tensor(shape: [2], storage: [1, 1]))
        let parameters = [(name: "fc.weight", parameter: matrix), (name: "fc.bias", parameter: bias)]
        SGD(weightDecay: 0.5, noDecay: NoDecay.oneDimensional).step(parameters, learningRate: 0.1)
        assertClose(matrix.value.storage, [0.95, 0.95], rtol: 0, atol: 1e-7)   // 1 - 0.1 * 0.5 * 1
        XCTAssertEqual(bias.value.storage, [1, 1])                            // zero gradient, no decay
    }

    func testStateIsKeyedByName() {
        // Momentum of "a" must not leak into "b" even when the list order changes.
        let sgd = SGD(momentum: 0.9)
        let a = Parameter("weight", Tensor(shape: [1], storage: [0]))
        let b = Parameter("weight", Tensor(shape: [1], storage: [0]))
        a.grad = Tensor(shape: [1], storage: [1])
        sgd.step([(name: "a", parameter: a)], learningRate: 1)
        b.grad = Tensor(shape: [1], storage: [1])
        sgd.step([(name: "b", parameter: b), (name: "a", parameter: a)], learningRate: 1)
        XCTAssertEqual(b.value.storage, [-1])                               // first step of b: buffer = g
        assertClose(a.value.storage, [-1 - 1.9], rtol: 0, atol: 1e-6)     // second step of a: buffer = 0.9 + 1
    }
}
