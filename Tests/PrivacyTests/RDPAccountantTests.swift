import Privacy
import XCTest

final class RDPAccountantTests: XCTestCase {
    /// Opacus 1.6 over the whole grid (OpacusGolden.swift). Tolerance 1e-9 relative, not the 1 %: both sides
    /// evaluate the same sums in Double, and differ only in rounding (binomials by recurrence here, scipy's binom
    /// there; log1p(−q) for log(1 − q); erfc below 25 and an asymptotic series above, against scipy's log_ndtr).
    /// Measured worst case over the 336 points: see `testLargestDifferenceAgainstOpacus`.
    func testMatchesOpacusOnTheGrid() throws {
        for (q, sigma, steps, delta, epsilon, order) in opacusGrid {
            var accountant = RDPAccountant()
            try accountant.record(noiseMultiplier: sigma, sampleRate: q, steps: steps)
            let spent = try accountant.epsilon(delta: delta)
            let label = "q \(q) sigma \(sigma) steps \(steps) delta \(delta)"
            XCTAssertEqual(spent.epsilon, epsilon, accuracy: 1e-9 * abs(epsilon), label)
            XCTAssertEqual(spent.order, order, label)
        }
    }

    /// Prints the largest relative difference against Opacus (for the notes) and pins it below 1e-10, ten times the
    /// 7.8e-12 measured here (q 0.1, σ 1, 10 000 steps, ε 119: a tiny per-step RDP at order 1.3 times 10 000), to
    /// leave room for another libm's erfc.
    func testLargestDifferenceAgainstOpacus() throws {
        var (worst, at) = (0.0, "")
        for (q, sigma, steps, delta, epsilon, _) in opacusGrid {
            var accountant = RDPAccountant()
            try accountant.record(noiseMultiplier: sigma, sampleRate: q, steps: steps)
            let difference = abs(try accountant.epsilon(delta: delta).epsilon - epsilon) / abs(epsilon)
            if difference > worst { (worst, at) = (difference, "q \(q) sigma \(sigma) steps \(steps) delta \(delta) epsilon \(epsilon)") }
        }
        print("largest relative difference against Opacus over \(opacusGrid.count) points: \(worst) at \(at)")
        XCTAssertLessThan(worst, 1e-10)
    }

    /// Per-step RDP against 40-digit quadrature of A_α's defining integral (OpacusGolden.swift), a reference that
    /// shares no formula with either series. Tolerance 1e-10 relative plus 1e-12/(α − 1) absolute: the fractional
    /// series stops, as Opacus's does, once its terms fall below e^-30 ≈ 1e-13, so log A_α ≈ 1e-7 (q = 0.001,
    /// σ = 3) keeps an absolute error near 1e-13 that is a large relative one (Opacus shows the same 1e-8).
    func testMatchesQuadrature() {
        for (q, sigma, order, expected) in quadratureRDP {
            let value = subsampledGaussianRDP(sampleRate: q, noiseMultiplier: sigma, order: order)
            print("quadrature q \(q) sigma \(sigma) order \(order): relative difference \(abs(value - expected) / expected)")
            XCTAssertEqual(value, expected, accuracy: 1e-10 * expected + 1e-12 / (order - 1), "q \(q) sigma \(sigma) order \(order)")
        }
    }

    /// Opacus's `get_noise_multiplier`: the same doubling and bisection on ε's that agree to 1e-12, so the same
    /// σ to the last bit; and ε at that σ within the search's tolerance below the target.
    func testNoiseMultiplierMatchesOpacus() throws {
        for (target, delta, q, steps, expected) in opacusNoise {
            let sigma = try noiseMultiplier(targetEpsilon: target, delta: delta, sampleRate: q, steps: steps)
            XCTAssertEqual(sigma, expected, "target \(target) steps \(steps)")
            var accountant = RDPAccountant()
            try accountant.record(noiseMultiplier: sigma, sampleRate: q, steps: steps)
            let epsilon = try accountant.epsilon(delta: delta).epsilon
            XCTAssertLessThanOrEqual(epsilon, target)
            XCTAssertGreaterThanOrEqual(epsilon, target - 0.01)
        }
    }

    /// q = 1 is the plain Gaussian mechanism: RDP(α) = α/(2σ²) per step; q = 0 spends nothing.
    func testClosedFormsAtFullAndZeroSampling() throws {
        for alpha in [1.5, 2, 10, 63] {
            XCTAssertEqual(subsampledGaussianRDP(sampleRate: 1, noiseMultiplier: 2, order: alpha), alpha / 8, accuracy: 1e-15)
            XCTAssertEqual(subsampledGaussianRDP(sampleRate: 0, noiseMultiplier: 2, order: alpha), 0)
        }
        var accountant = RDPAccountant()
        try accountant.record(noiseMultiplier: 2, sampleRate: 1, steps: 10)
        XCTAssertEqual(accountant.rdp(orders: [4]), [10 * 4 / 8.0])
        // ε from the conversion by hand at the one order 4: 5 − (log 1e-5 + log 4)/3 + log(3/4).
        let spent = try accountant.epsilon(delta: 1e-5, orders: [4])
        XCTAssertEqual(spent.epsilon, 5 - (log(1e-5) + log(4.0)) / 3 + log(0.75), accuracy: 1e-12)
        XCTAssertEqual(spent.order, 4)
    }

    /// Small q: RDP ≈ q²·α/(2σ²)·… is tiny but positive, and near an integer order the fractional series and the
    /// integer sum agree (two independent formulas for the same A_α), here at σ = 0.5 where terms reach e^90.
    func testFractionalSeriesMeetsIntegerSum() {
        for (q, sigma) in [(0.01, 0.5), (0.1, 1.0), (1e-5, 3.0)] {
            for alpha in [2.0, 7.0, 10.0] {
                let exact = subsampledGaussianRDP(sampleRate: q, noiseMultiplier: sigma, order: alpha)
                let nearby = subsampledGaussianRDP(sampleRate: q, noiseMultiplier: sigma, order: alpha + 1e-7)
                XCTAssertGreaterThan(exact, 0)
                XCTAssertEqual(nearby, exact, accuracy: 1e-5 * exact, "q \(q) sigma \(sigma) alpha \(alpha)")
            }
        }
    }

    /// More steps spend more; more noise spends less.
    func testMonotoneInStepsAndNoise() throws {
        func epsilon(sigma: Double, steps: Int) throws -> Double {
            var accountant = RDPAccountant()
            try accountant.record(noiseMultiplier: sigma, sampleRate: 0.01, steps: steps)
            return try accountant.epsilon(delta: 1e-5).epsilon
        }
        let steps = [1, 10, 100, 1000, 10000]
        let bySteps = try steps.map { try epsilon(sigma: 1, steps: $0) }
        XCTAssertEqual(bySteps, bySteps.sorted())
        XCTAssertEqual(Set(bySteps).count, steps.count)
        let sigmas = [0.5, 0.7, 1, 2, 5, 20]
        let bySigma = try sigmas.map { try epsilon(sigma: $0, steps: 1000) }
        XCTAssertEqual(bySigma, bySigma.sorted(by: >))
        XCTAssertEqual(Set(bySigma).count, sigmas.count)
    }

    /// Recording epoch by epoch equals recording all steps at once; different settings add their RDP.
    func testHistoryComposes() throws {
        var perEpoch = RDPAccountant(), atOnce = RDPAccountant()
        for _ in 0..<3 { try perEpoch.record(noiseMultiplier: 1.1, sampleRate: 0.004, steps: 250) }
        try atOnce.record(noiseMultiplier: 1.1, sampleRate: 0.004, steps: 750)
        XCTAssertEqual(perEpoch, atOnce)
        XCTAssertEqual(perEpoch.history.count, 1)

        try perEpoch.record(noiseMultiplier: 2, sampleRate: 0.01, steps: 100)
        XCTAssertEqual(perEpoch.history.count, 2)
        var second = RDPAccountant()
        try second.record(noiseMultiplier: 2, sampleRate: 0.01, steps: 100)
        for (total, (a, b)) in zip(perEpoch.rdp(), zip(atOnce.rdp(), second.rdp())) {
            XCTAssertEqual(total, a + b, accuracy: 1e-12 * total)
        }
        XCTAssertEqual(try RDPAccountant().epsilon(delta: 1e-5).epsilon, 0)
    }

    func testUserErrorsAreThrownWithOneLine() throws {
        var accountant = RDPAccountant()
        let cases: [(Double, Double, Int, PrivacyError)] = [
            (0, 0.01, 1, .invalidNoiseMultiplier(0)), (-1, 0.01, 1, .invalidNoiseMultiplier(-1)),
            (.infinity, 0.01, 1, .invalidNoiseMultiplier(.infinity)), (1, 0, 1, .invalidSampleRate(0)),
            (1, 1.5, 1, .invalidSampleRate(1.5)), (1, 0.01, 0, .invalidSteps(0)),
        ]
        for (sigma, q, steps, expected) in cases {
            XCTAssertThrowsError(try accountant.record(noiseMultiplier: sigma, sampleRate: q, steps: steps)) { error in
                XCTAssertEqual(error as? PrivacyError, expected)
                XCTAssertFalse(String(describing: error).contains("\n"))
            }
        }
        try accountant.record(noiseMultiplier: 1, sampleRate: 0.01, steps: 10)
        for delta in [0, 1, -1e-5, .nan] {
            XCTAssertThrowsError(try accountant.epsilon(delta: delta)) { XCTAssertTrue($0 is PrivacyError) }
        }
        XCTAssertThrowsError(try noiseMultiplier(targetEpsilon: 0, delta: 1e-5, sampleRate: 0.01, steps: 10)) {
            XCTAssertEqual($0 as? PrivacyError, .invalidEpsilon(0))
        }
        // Below the conversion's floor (≈ 0.1 at δ = 1e-5 with orders up to 63) no σ helps.
        XCTAssertThrowsError(try noiseMultiplier(targetEpsilon: 0.05, delta: 1e-5, sampleRate: 0.01, steps: 10)) {
            XCTAssertEqual($0 as? PrivacyError, .unreachableEpsilon(target: 0.05, delta: 1e-5))
        }
    }
}
