/// The privacy spent by a run of DP-SGD, as Opacus's `RDPAccountant` keeps it: a history of (σ, q, steps)
/// entries whose RDP values add up, converted to (ε, δ) on demand.
///
/// A value type, so a trainer can record each epoch's steps and report ε after it without shared state:
/// `try accountant.record(noiseMultiplier: 1.1, sampleRate: 256.0 / 60000, steps: 235)`, then
/// `try accountant.epsilon(delta: 1e-5)`.
public struct RDPAccountant: Equatable, Sendable {
    /// Steps taken with one noise multiplier and sample rate.
    public struct Entry: Equatable, Sendable {
        public let noiseMultiplier: Double
        public let sampleRate: Double
        public let steps: Int

        /// Checks the values a user gives: σ > 0 and finite, q in (0, 1], steps ≥ 1.
        public init(noiseMultiplier: Double, sampleRate: Double, steps: Int) throws {
            guard noiseMultiplier > 0 && noiseMultiplier.isFinite else { throw PrivacyError.invalidNoiseMultiplier(noiseMultiplier) }
            guard sampleRate > 0 && sampleRate <= 1 else { throw PrivacyError.invalidSampleRate(sampleRate) }
            guard steps >= 1 else { throw PrivacyError.invalidSteps(steps) }
            (self.noiseMultiplier, self.sampleRate, self.steps) = (noiseMultiplier, sampleRate, steps)
        }

        /// RDP of all the entry's steps at each order (composition adds RDP at a fixed order).
        public func rdp(orders: [Double]) -> [Double] {
            orders.map { Double(steps) * subsampledGaussianRDP(sampleRate: sampleRate, noiseMultiplier: noiseMultiplier, order: $0) }
        }
    }

    public private(set) var history: [Entry] = []

    public init() {}

    /// Records `steps` steps at (σ, q); like Opacus's `step`, they extend the last entry when σ and q are the same.
    public mutating func record(noiseMultiplier: Double, sampleRate: Double, steps: Int = 1) throws {
        let entry = try Entry(noiseMultiplier: noiseMultiplier, sampleRate: sampleRate, steps: steps)
        if let last = history.last, last.noiseMultiplier == noiseMultiplier, last.sampleRate == sampleRate {
            history[history.count - 1] = try Entry(noiseMultiplier: noiseMultiplier, sampleRate: sampleRate, steps: last.steps + entry.steps)
        } else {
            history.append(entry)
        }
    }

    /// Total RDP of the history at each order.
    public func rdp(orders: [Double] = defaultRDPOrders) -> [Double] {
        history.reduce(into: [Double](repeating: 0, count: orders.count)) { total, entry in
            for (k, value) in entry.rdp(orders: orders).enumerated() { total[k] += value }
        }
    }

    /// The ε spent so far at δ, and the RDP order that gave it; (0, 0) before any step, as Opacus returns.
    public func epsilon(delta: Double, orders: [Double] = defaultRDPOrders) throws -> (epsilon: Double, order: Double) {
        guard delta > 0 && delta < 1 else { throw PrivacyError.invalidDelta(delta) }
        if history.isEmpty { return (0, 0) }
        return privacySpent(orders: orders, rdp: rdp(orders: orders), delta: delta)
    }
}
