import NN

/// Auto-PGD (Croce & Hein 2020, as in AutoAttack's `autopgd_base.py`): PGD with momentum 0.75,
/// an initial step of 2 * eps, and a step size halved at checkpoints when the objective stalls.
///
/// Checkpoints: p0 = 0, p1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06) of the
/// iterations, in AutoAttack's integer form (`checkpoints(iterations:)`). At a checkpoint a sample's
/// step is halved, and it restarts from its best point, when at most rho = 0.75 of the steps
/// since the last checkpoint increased the objective, or when its step was not halved last time
/// and its best objective has not improved since then.
public struct APGDEngine {
    var name: String
    var norm: Norm
    var iterations: Int
    var restarts: Int
    var objective: Objective
    /// Target classes tried by the targeted version (the 2nd, 3rd... most likely clean classes), or 0 if untargeted.
    var targetClasses: Int
    let rho = 0.75

    /// Iterations (0-based, counting the start) at which the step size is reviewed: 0, 22, 41, 57, 70, 80, 87, 93, 99 for 100.
    public static func checkpoints(iterations n: Int) -> [Int] {
        var points = [0]
        var k = max(Int(0.22 * Double(n)), 1)
        let minimum = max(Int(0.06 * Double(n)), 1), decrease = max(Int(0.03 * Double(n)), 1)
        var at = k
        while at <= n {
            points.append(at)
            k = max(k - decrease, minimum)
            at += k
        }
        return points
    }

    func run(_ classifier: any Classifier, x: Tensor, labels: [Int], context: AttackContext) -> Tensor {
        let n = x.dim(0)
        var state = Outcome(best: x, bestValue: [Float](repeating: -.infinity, count: n), fooled: [Bool](repeating: false, count: n))
        guard context.eps > 0 else { return x }
        if targetClasses > 0 {
            let clean = classifier.logits(x)
            let orders = (0..<n).map { i in sortedDescending((0..<clean.dim(1)).map { Double(clean.storage[i * clean.dim(1) + $0]) }) }
            for t in 0..<min(targetClasses, classifier.classes - 1) {
                for restart in 0..<restarts {
                    let targets = orders.map { $0[t + 1] }
                    runOnce(classifier, x: x, labels: labels, targets: targets, context: context, key: t * restarts + restart, state: &state)
                }
            }
        } else {
            for restart in 0..<restarts {
                runOnce(classifier, x: x, labels: labels, targets: nil, context: context, key: restart, state: &state)
            }
        }
        return state.best
    }

    /// Per-sample results kept across restarts: the first fooling point, else the highest objective.
    struct Outcome {
        var best: Tensor
        var bestValue: [Float]
        var fooled: [Bool]

        mutating func record(_ i: Int, point: ArraySlice<Float>, value: Float, fooled isFooled: Bool) {
            guard !fooled[i] else { return }
            if isFooled {
                fooled[i] = true
                best.setRow(i, point)
            } else if value > bestValue[i] {
                bestValue[i] = value
                best.setRow(i, point)
            }
        }
    }

    private func runOnce(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext,
                         key: Int, state: inout Outcome) {
        let eps = context.eps, d = x.sampleSize
        var active = (0..<x.dim(0)).filter { !state.fooled[$0] }
        guard !active.isEmpty else { return }
        // Per-sample state, indexed by sample (not by row of the shrinking batch).
        var xAdv = [[Float]](repeating: [], count: x.dim(0))
        for i in active {
            var rng = context.rng(sample: i, attack: name, restart: key)
            var start = randomStart(d: d, eps: eps, rng: &rng)
            for j in 0..<d { start[j] += x.storage[i * d + j] }
            var slice = start[...]
            // AutoAttack clips the start to the box only; it is inside the ball by construction.
            for j in slice.indices { slice[j] = min(max(slice[j], 0), 1) }
            xAdv[i] = Array(slice)
        }
        var xOld = xAdv, xBest = xAdv
        var grad = [[Float]](repeating: [], count: x.dim(0)), gradBest = grad
        var valueBest = [Float](repeating: -.infinity, count: x.dim(0))
        var step = [Float](repeating: 2 * eps, count: x.dim(0))
        var history = [[Float]](repeating: [], count: x.dim(0))
        var reducedLastCheck = [Bool](repeating: true, count: x.dim(0))
        var bestAtLastCheck = [Float](repeating: 0, count: x.dim(0))

        // Evaluates the active samples at xAdv: records successes, returns nothing; fills grad.
        func evaluate(iteration: Int) {
            let batch = Tensor(shape: [active.count] + x.shape.dropFirst(), storage: active.flatMap { xAdv[$0] })
            let rowLabels = active.map { labels[$0] }, rowTargets = targets.map { ts in active.map { ts[$0] } }
            let (logits, values, gradient) = classifier.valueAndGradient(batch) {
                objective.evaluate(logits: $0, labels: rowLabels, targets: rowTargets)
            }
            for (row, i) in active.enumerated() {
                let fooled = argmax(logits, row: row) != labels[i]
                state.record(i, point: xAdv[i][...], value: values[row], fooled: fooled)
                grad[i] = Array(gradient.row(row))
                history[i].append(values[row])
                if iteration == 0 || values[row] > valueBest[i] {
                    valueBest[i] = values[row]
                    xBest[i] = xAdv[i]
                    gradBest[i] = grad[i]
                }
                if iteration == 0 { bestAtLastCheck[i] = values[row] }
            }
            if context.prune { active = active.filter { !state.fooled[$0] } }
        }

        evaluate(iteration: 0)
        let checkpoints = Set(Self.checkpoints(iterations: iterations).dropFirst())
        var lastCheck = 0
        for iteration in 0..<iterations {
            if active.isEmpty { return }
            let a: Float = iteration > 0 ? 0.75 : 1.0
            for i in active {
                let clean = x.row(i)
                let momentumStep = zip(xAdv[i], xOld[i]).map { $0 - $1 }
                xOld[i] = xAdv[i]
                let direction = norm.steepestDirection(grad[i][...])
                var z = zip(xAdv[i], direction).map { $0 + step[i] * $1 }[...]
                norm.project(&z, clean: clean, eps: eps)
                var next = (0..<d).map { j in xAdv[i][j] + (z[z.startIndex + j] - xAdv[i][j]) * a + momentumStep[j] * (1 - a) }[...]
                norm.project(&next, clean: clean, eps: eps)
                xAdv[i] = Array(next)
            }
            evaluate(iteration: iteration + 1)
            // A checkpoint after `iteration + 1` steps: review each sample's step size.
            if checkpoints.contains(iteration + 1) {
                let k = iteration + 1 - lastCheck
                for i in active {
                    let h = history[i] // h[s] is the objective after s steps
                    var increases = 0
                    for s in (iteration + 1 - k + 1)...(iteration + 1) where s - 1 >= 0 && h[s] > h[s - 1] { increases += 1 }
                    let oscillating = Double(increases) <= Double(k) * rho
                    let noImprovement = !reducedLastCheck[i] && bestAtLastCheck[i] >= valueBest[i]
                    let reduce = oscillating || noImprovement
                    reducedLastCheck[i] = reduce
                    bestAtLastCheck[i] = valueBest[i]
                    if reduce {
                        step[i] /= 2
                        xAdv[i] = xBest[i]
                        grad[i] = gradBest[i]
                    }
                }
                lastCheck = iteration + 1
            }
        }
    }

    /// AutoAttack's start: L-inf, uniform noise rescaled so its largest entry is eps; L2, a Gaussian direction of length eps.
    private func randomStart(d: Int, eps: Float, rng: inout SplitMix64) -> [Float] {
        switch norm {
        case .linf:
            let t = (0..<d).map { _ in 2 * rng.nextFloat() - 1 }
            let m = max(t.map(abs).max() ?? 1, 1e-12)
            return t.map { eps * $0 / m }
        case .l2:
            let t = (0..<d).map { _ in rng.nextGaussian() }
            let length = Float(t.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
            return t.map { eps * $0 / max(length, 1e-12) }
        }
    }
}
