import Foundation

/// Axis ticks at "nice" steps (1, 2 or 5 times a power of ten), as a person would draw them.
enum Ticks {
    /// Ticks from 0 up to the first nice value at or above `maximum`, about `target` of them.
    /// A non-positive or non-finite maximum gives the unit axis 0…1.
    static func upTo(_ maximum: Double, target: Int = 5) -> [Double] {
        guard maximum.isFinite, maximum > 0 else { return [0, 0.2, 0.4, 0.6, 0.8, 1] }
        let step = niceStep(maximum / Double(target))
        let count = Int((maximum / step - 1e-9).rounded(.up))
        return (0...count).map { Double($0) * step }
    }

    /// The smallest of 1, 2, 5 × 10^k at or above `rough`.
    static func niceStep(_ rough: Double) -> Double {
        let power = pow(10, (log10(rough)).rounded(.down))
        for multiple in [1.0, 2, 5, 10] where multiple * power >= rough * (1 - 1e-9) {
            return multiple * power
        }
        return 10 * power
    }
}

/// A linear map from data values to SVG coordinates.
struct LinearScale {
    var domain: (Double, Double)
    var range: (Double, Double)

    func callAsFunction(_ value: Double) -> Double {
        let span = domain.1 - domain.0
        let t = span == 0 ? 0 : (value - domain.0) / span
        return range.0 + t * (range.1 - range.0)
    }
}

/// SVG coordinates with two decimals: enough for a screen, short and stable in the file.
func svgNumber(_ value: Double) -> String {
    String(format: "%.2f", value.isFinite ? value : 0)
}
