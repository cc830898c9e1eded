import NN

/// The engine shared by BIM, PGD and MI-FGSM: steepest-ascent steps in the threat model's norm,
/// projected back onto the epsilon-ball and the box after each step.
///
/// Per sample it keeps the best iterate: the first that fools the model, else the one with the
/// highest objective, over every step (the start point included) and every restart. Keeping
/// the first success means that pruning fooled samples out of the batch changes nothing but time.
struct IterativeAttack {
    var name: String
    var norm: Norm
    var steps: Int
    /// Absolute step size, or nil for `stepFraction * eps`.
    var stepSize: Double?
    var stepFraction: Double
    var restarts: Int
    var randomStart: Bool
    /// Momentum decay for MI-FGSM (gradients L1-normalised, then accumulated), or nil.
    var momentum: Double?
    var target: TargetMode

    func step(eps: Double) -> Float { Float(stepSize ?? stepFraction * eps) }

    func run(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext) -> Tensor {
        let n = x.dim(0), d = x.sampleSize, eps = context.eps
        let objective: Objective = targets == nil ? .crossEntropy : .targetedCrossEntropy
        let alpha = step(eps: Double(eps))
        var best = x
        var bestValue = [Float](repeating: -.infinity, count: n)
        var fooled = [Bool](repeating: false, count: n)
        guard eps > 0, d > 0 else { return x }
        for restart in 0..<restarts {
            var active = Array(0..<n).filter { !(context.prune && fooled[$0]) }
            if active.isEmpty { break }
            var current = x.gathering(active)
            var clean = current
            if randomStart {
                for (row, i) in active.enumerated() {
                    var rng = context.rng(sample: i, attack: name, restart: restart)
                    let noise = norm.uniformInBall(count: d, eps: eps, rng: &rng)
                    var start = zip(clean.row(row), noise).map { $0 + $1 }[...]
                    norm.project(&start, clean: clean.row(row), eps: eps)
                    current.setRow(row, start)
                }
            }
            var velocity = [[Float]](repeating: [Float](repeating: 0, count: d), count: active.count)
            for t in 0...steps {
                let rowLabels = active.map { labels[$0] }, rowTargets = targets.map { ts in active.map { ts[$0] } }
                let objectiveFn = { (z: Tensor) in objective.evaluate(logits: z, labels: rowLabels, targets: rowTargets) }
                let logits: Tensor, values: [Float], gradient: Tensor?
                if t < steps {
                    (logits, values, gradient) = classifier.valueAndGradient(current, objective: objectiveFn)
                } else {
                    logits = classifier.logits(current)
                    values = objectiveFn(logits).values
                    gradient = nil
                }
                for (row, i) in active.enumerated() where !fooled[i] {
                    let predicted = argmax(logits, row: row)
                    let success = !context.keepHighestLoss && (targets.map { predicted == $0[i] } ?? (predicted != labels[i]))
                    if success {
                        fooled[i] = true
                        best.setRow(i, current.row(row))
                    } else if values[row] > bestValue[i] {
                        bestValue[i] = values[row]
                        best.setRow(i, current.row(row))
                    }
                }
                guard let gradient else { break }
                var keep: [Int] = []
                for (row, i) in active.enumerated() where !(context.prune && fooled[i]) { keep.append(row) }
                // In place, row by row (pointers, no arrays: see `Norm.ascend`).
                current.withUnsafeMutablePointer { cp in
                gradient.withUnsafePointer { gp in
                clean.withUnsafePointer { kp in
                    for row in keep {
                        let x = cp + row * d, g = gp + row * d
                        if let momentum {
                            var l1 = 0.0
                            for j in 0..<d { l1 += Double(abs(g[j])) }
                            let scale = Float(1 / max(l1, 1e-12))
                            velocity[row].withUnsafeMutableBufferPointer { v in
                                for j in 0..<d { v[j] = Float(momentum) * v[j] + g[j] * scale }
                                norm.ascend(x, along: v.baseAddress!, by: alpha, count: d)
                            }
                        } else {
                            norm.ascend(x, along: g, by: alpha, count: d)
                        }
                        norm.project(x, clean: kp + row * d, eps: eps, count: d)
                    }
                }}}
                if keep.count < active.count {
                    active = keep.map { active[$0] }
                    current = current.gathering(keep)
                    velocity = keep.map { velocity[$0] }
                    clean = clean.gathering(keep)
                }
                if active.isEmpty { break }
            }
        }
        return best
    }
}
