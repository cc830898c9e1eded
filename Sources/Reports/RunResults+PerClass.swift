import Metrics

/// Clean and worst-case robust accuracy of one class at one epsilon.
struct ClassAccuracy: Equatable {
    var label: Int
    var name: String
    /// Samples of this class evaluated at the epsilon.
    var n: Int
    var cleanCorrect: Int
    /// Samples classified correctly under every attack run at this norm and epsilon.
    var robust: Int
}

/// Per-class accuracy, recomputed from the sample records (results.json keeps only overall curves).
extension RunResults {
    /// The norms in the order the curve first mentions them.
    var norms: [String] {
        var seen: [String] = []
        for point in curve where !seen.contains(point.norm) { seen.append(point.norm) }
        for record in samples where !seen.contains(record.norm) { seen.append(record.norm) }
        return seen
    }

    /// The epsilons that have sample records at `norm`, ascending.
    func sampleEpsilons(norm: String) -> [Double] {
        Array(Set(samples.filter { $0.norm == norm }.map(\.eps))).sorted()
    }

    /// The epsilon of `norm`'s grid closest to `requested`, or, without one, the one where the worst
    /// case is closest to half the clean accuracy: where classes differ most (at the largest epsilon
    /// every class is often at 0 %). On a tie, the smaller one. Nil when no samples ran at `norm`.
    func perClassEpsilon(norm: String, requested: Double?) -> Double? {
        let grid = sampleEpsilons(norm: norm)
        guard !grid.isEmpty else { return nil }
        if let requested { return grid.min { abs($0 - requested) < abs($1 - requested) } }
        let worst = curve.filter { $0.attack == CurvePoint.worstCase && $0.norm == norm }
        let half = clean.accuracy / 2
        func distance(_ eps: Double) -> Double {
            guard let point = worst.first(where: { $0.eps == eps }) else { return .infinity }
            return abs(point.robustAcc - half)
        }
        return grid.min { distance($0) < distance($1) }
    }

    /// Per class (in label order, every class of the dataset plus any label beyond it), accuracy at
    /// `norm` and `eps` in the worst case over attacks: a sample counts robust only if every
    /// attack's record for it at this norm and epsilon is robust.
    func perClassAccuracy(norm: String, eps: Double) -> [ClassAccuracy] {
        var robustByIndex: [Int: Bool] = [:]
        var labelByIndex: [Int: Int] = [:]
        var cleanByIndex: [Int: Bool] = [:]
        for record in samples where record.norm == norm && record.eps == eps {
            robustByIndex[record.index] = (robustByIndex[record.index] ?? true) && record.isRobust
            labelByIndex[record.index] = record.label
            cleanByIndex[record.index] = record.cleanPred == record.label
        }
        let maxLabel = max(dataset.classNames.count - 1, labelByIndex.values.max() ?? -1)
        guard maxLabel >= 0 else { return [] }
        var classes = (0...maxLabel).map { label in
            ClassAccuracy(label: label, name: label < dataset.classNames.count ? dataset.classNames[label] : "class \(label)",
                          n: 0, cleanCorrect: 0, robust: 0)
        }
        for (index, label) in labelByIndex where label >= 0 {
            classes[label].n += 1
            if cleanByIndex[index]! { classes[label].cleanCorrect += 1 }
            if robustByIndex[index]! { classes[label].robust += 1 }
        }
        return classes
    }
}
