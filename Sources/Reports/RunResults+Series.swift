import Metrics

/// The curve cut into lines: one per attack and norm, plus the worst case.
extension RunResults {
    /// Attack ids of the curve (without `worst`) in the order the curve first mentions them;
    /// an attack's index here picks its colour, so it is the same in every plot.
    var curveAttackIDs: [String] {
        var seen: [String] = []
        for point in curve where point.attack != CurvePoint.worstCase && !seen.contains(point.attack) {
            seen.append(point.attack)
        }
        return seen
    }

    /// One attack's points at one norm, by increasing epsilon.
    func curvePoints(attack: String, norm: String) -> [CurvePoint] {
        curve.filter { $0.attack == attack && $0.norm == norm }.sorted { $0.eps < $1.eps }
    }

    /// The worst-case point at `norm` and `eps`, if the curve has one.
    func worstPoint(norm: String, eps: Double) -> CurvePoint? {
        curve.first { $0.attack == CurvePoint.worstCase && $0.norm == norm && $0.eps == eps }
    }
}
