import NN
import XCTest
import _TestSupport

/// Learning-rate schedules at chosen iterations, and gradient clipping, against hand computations.
final class OptimizerScheduleTests: XCTestCase {
    /// The rate at (epoch, step) in a run of 10 epochs of 4 steps.
    func rate(_ schedule: LearningRateSchedule, _ epoch: Int, _ step: Int) -> Float {
        schedule.learningRate(epoch: epoch, step: step, stepsPerEpoch: 4, epochs: 10)
    }

    func testConstant() {
        let schedule = LearningRateSchedule(base: 0.1)
        XCTAssertEqual(rate(schedule, 0, 0), 0.1)
        XCTAssertEqual(rate(schedule, 9, 3), 0.1)
    }

    func testStepDecay() {
        // base * gamma^floor(epoch / 3): epochs 0-2 -> 0.1, 3-5 -> 0.01, 6-8 -> 0.001, 9 -> 0.0001.
        let schedule = LearningRateSchedule(base: 0.1, decay: .step(stepSize: 3, gamma: 0.1))
        assertClose([rate(schedule, 0, 0), rate(schedule, 2, 3), rate(schedule, 3, 0), rate(schedule, 8, 1), rate(schedule, 9, 0)],
                    [0.1, 0.1, 0.01, 0.001, 0.0001], rtol: 1e-6, atol: 0)
    }

    func testCosine() {
        // T = 40 iterations: t = 0 -> base, t = 20 -> (base + min) / 2, t = 10 -> min + (base - min)(1 + cos(π/4))/2.
        let schedule = LearningRateSchedule(base: 1, decay: .cosine(minimum: 0.1))
        let quarter = 0.1 + 0.9 * (1 + cos(Double.pi / 4)) / 2
        let last = 0.1 + 0.9 * (1 + cos(Double.pi * 39 / 40)) / 2
        assertClose([rate(schedule, 0, 0), rate(schedule, 2, 2), rate(schedule, 5, 0), rate(schedule, 9, 3)],
                    [1, Float(quarter), 0.55, Float(last)], rtol: 1e-6, atol: 0)
    }

    func testWarmupThenCosine() {
        // W = 2 * 4 = 8 warm-up iterations: lr = base (t + 1) / 8; then cosine over the remaining 32.
        let schedule = LearningRateSchedule(base: 0.8, decay: .cosine(minimum: 0), warmupEpochs: 2)
        let afterHalf = 0.8 * (1 + cos(Double.pi * 16 / 32)) / 2
        assertClose([rate(schedule, 0, 0), rate(schedule, 0, 3), rate(schedule, 1, 3), rate(schedule, 2, 0), rate(schedule, 6, 0)],
                    [0.1, 0.4, 0.8, 0.8, Float(afterHalf)], rtol: 1e-6, atol: 1e-7)
    }

    func testWarmupThenStepDecay() {
        // Warm-up ramps to base over epoch 0, then StepLR by epoch: epoch 1 -> 0.5, epoch 2 -> 0.25.
        let schedule = LearningRateSchedule(base: 1, decay: .step(stepSize: 1, gamma: 0.5), warmupEpochs: 1)
        assertClose([rate(schedule, 0, 1), rate(schedule, 0, 3), rate(schedule, 1, 0), rate(schedule, 2, 3)],
                    [0.5, 1, 0.5, 0.25], rtol: 1e-6, atol: 0)
    }

    func testClipGradNormScalesAllGradientsTogether() {
        // Gradients (3, 4) and (12): global norm sqrt(9 + 16 + 144) = 13; maxNorm 6.5 -> coef 6.5 / (13 + 1e-6).
        let a = Parameter("weight", Tensor(shape: [2]))
        let b = Parameter("bias", Tensor(shape: [1]))
        a.grad = Tensor(shape: [2], storage: [3, 4])
        b.grad = Tensor(shape: [1], storage: [12])
        let parameters = [(name: "a", parameter: a), (name: "b", parameter: b)]
        let norm = clipGradNorm(parameters, maxNorm: 6.5)
        XCTAssertEqual(norm, 13)
        let coef = 6.5 / (13 + 1e-6)
        assertClose(a.grad.storage + b.grad.storage, [3, 4, 12].map { Float($0 * coef) }, rtol: 1e-6, atol: 0)

        // Below the limit nothing changes, and the returned norm is still the pre-clip one.
        let again = clipGradNorm(parameters, maxNorm: 100)
        XCTAssertEqual(again, 6.5, accuracy: 1e-5)
        assertClose(a.grad.storage + b.grad.storage, [3, 4, 12].map { Float($0 * coef) }, rtol: 1e-6, atol: 0)
    }

    func testClipGradValue() {
        let a = Parameter("weight", Tensor(shape: [4]))
        a.grad = Tensor(shape: [4], storage: [-3, -0.5, 0.25, 2])
        clipGradValue([(name: "a", parameter: a)], clipValue: 1)
        XCTAssertEqual(a.grad.storage, [-1, -0.5, 0.25, 1])
    }
}
