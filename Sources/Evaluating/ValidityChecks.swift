import Metrics

/// The evaluation-validity checks: signs that an evaluation is too weak to trust (gradient
/// masking, a non-converged attack, a broken projection). Each returns PASS, WARN or FAIL with
/// the numbers it saw and what to do.
enum ValidityChecks {
    /// Facts gathered while the evaluation ran, beyond the curve itself.
    static let singleStep: Set<String> = ["fgsm", "fgm"]

    static func run(curve: [CurvePoint], clean: CleanResult, attacks: [AttackRun], observed o: RunObservations,
                    samples: [SampleRecord] = [], certification: CertificationRun? = nil,
                    correctlyClassified: Set<Int> = []) -> [ValidityCheck] {
        var checks: [ValidityCheck] = []
        let points = curve.filter { $0.attack != CurvePoint.worstCase && $0.attack != CurvePoint.certified }
        if let certification {
            checks.append(certifiedCorrect(certification, correctlyClassified: correctlyClassified))
            // A certification-only run (`robust certify`) has no attack for the other checks to judge.
            if attacks.isEmpty { return checks }
            checks.append(certifiedSoundness(certification, samples: samples))
        }
        func pp(_ x: Double) -> String { String(format: "%.2f %%", 100 * x) }

        // Robust accuracy at eps = 0 is clean accuracy.
        let zero = points.filter { $0.eps == 0 }
        let zeroBad = zero.filter { $0.robustAcc != clean.accuracy }
        checks.append(ValidityCheck(
            id: "eps0-equals-clean", title: "Accuracy at ε = 0 equals clean accuracy",
            status: zero.isEmpty ? .warn : (zeroBad.isEmpty ? .pass : .fail),
            detail: zero.isEmpty ? "no ε = 0 point in the grid" :
                (zeroBad.isEmpty ? "\(zero.count) attack(s) at ε = 0 all give \(pp(clean.accuracy))" :
                    zeroBad.map { "\($0.attack): \(pp($0.robustAcc)) vs clean \(pp(clean.accuracy))" }.joined(separator: "; ")),
            advice: "An attack that changes predictions at ε = 0 is moving points outside the ball, or the model is not deterministic. Include 0 in the grid to anchor the curve."))

        // Curves never increase with epsilon.
        var increases: [String] = []
        for run in attacks {
            let line = points.filter { $0.attack == run.id }.sorted { $0.eps < $1.eps }
            for (a, b) in zip(line, line.dropFirst()) where b.robustAcc > a.robustAcc {
                increases.append("\(run.id): \(pp(a.robustAcc)) at ε=\(a.eps) -> \(pp(b.robustAcc)) at ε=\(b.eps)")
            }
        }
        checks.append(ValidityCheck(
            id: "monotone", title: "Robust accuracy never increases with ε", status: increases.isEmpty ? .pass : .fail,
            detail: increases.isEmpty ? "every curve is non-increasing" : increases.joined(separator: "; "),
            advice: "A larger ball contains the smaller one, so accuracy can only fall. An increase means the attack did not converge: use more steps or restarts (or keep reuse across ε on)."))

        // Iterative attacks at least as strong as single-step ones.
        var weaker: [String] = []
        var compared = 0
        for single in points where singleStep.contains(attackName(single.attack, attacks)) {
            for iterative in points where iterative.norm == single.norm && iterative.eps == single.eps && iterative.eps > 0
                && !singleStep.contains(attackName(iterative.attack, attacks)) && usesGradients(iterative.attack, attacks) {
                compared += 1
                if iterative.robustAcc > single.robustAcc + 0.005 {
                    weaker.append("\(iterative.attack) \(pp(iterative.robustAcc)) > \(single.attack) \(pp(single.robustAcc)) at ε=\(single.eps)")
                }
            }
        }
        checks.append(ValidityCheck(
            id: "iterative-beats-single-step", title: "Iterative attacks are at least as strong as single-step ones",
            status: compared == 0 ? .pass : (weaker.isEmpty ? .pass : .warn),
            detail: compared == 0 ? "no single-step attack ran next to an iterative one" :
                (weaker.isEmpty ? "\(compared) comparison(s), iterative never more than 0.5 pp weaker" : weaker.joined(separator: "; ")),
            advice: "An iterative attack that does worse than one FGSM step suggests a too-small step size, too few steps, or gradient masking; run apgd-ce and compare."))

        // Black-box not stronger than white-box.
        var masked: [String] = []
        var blackboxCompared = 0
        for black in points where !usesGradients(black.attack, attacks) && !attackName(black.attack, attacks).hasPrefix("noise") && black.eps > 0 {
            let white = points.filter { $0.norm == black.norm && $0.eps == black.eps && usesGradients($0.attack, attacks) }
            guard let strongest = white.min(by: { $0.robustAcc < $1.robustAcc }) else { continue }
            blackboxCompared += 1
            if black.robustAcc < strongest.robustAcc - 0.002 {
                masked.append("\(black.attack) \(pp(black.robustAcc)) < \(strongest.attack) \(pp(strongest.robustAcc)) at ε=\(black.eps)")
            }
        }
        checks.append(ValidityCheck(
            id: "blackbox-beats-whitebox", title: "Black-box attacks are not stronger than white-box ones",
            status: masked.isEmpty ? .pass : .fail,
            detail: blackboxCompared == 0 ? "no black-box attack ran next to a white-box one" :
                (masked.isEmpty ? "\(blackboxCompared) comparison(s), white-box always at least as strong (0.2 pp margin)" : masked.joined(separator: "; ")),
            advice: "When a score-only attack beats the gradient attacks, the gradients are misleading (gradient masking or obfuscation). Do not trust the white-box numbers; report the black-box or adaptive attack."))

        // Non-finite values.
        let nonFinite = o.nonFiniteLogits + o.nonFiniteGradients
        checks.append(ValidityCheck(
            id: "finite", title: "No NaN or Inf in logits or gradients", status: nonFinite == 0 ? .pass : .fail,
            detail: "\(o.nonFiniteLogits) non-finite logit(s), \(o.nonFiniteGradients) non-finite gradient entr(ies)",
            advice: "NaN or Inf make attacks silently fail; check the model's numerics (log of zero, division, overflow)."))

        // Zero gradients.
        let zeroFraction = o.gradientSamples == 0 ? 0 : Double(o.zeroGradientSamples) / Double(o.gradientSamples)
        checks.append(ValidityCheck(
            id: "zero-gradients", title: "Input gradients are not zero",
            status: o.gradientSamples == 0 ? .pass : (zeroFraction > 0.10 ? .fail : (zeroFraction > 0.01 ? .warn : .pass)),
            detail: o.gradientSamples == 0 ? "no gradient attack ran" :
                "\(o.zeroGradientSamples) of \(o.gradientSamples) gradient computations (\(pp(zeroFraction))) were exactly zero",
            advice: "Zero input gradients mean gradient attacks cannot move: the model masks its gradients (a step function, a saturated softmax, non-differentiable preprocessing). Evaluate with square, apgd-dlr, or an adaptive attack (BPDA)."))

        // Bounds.
        checks.append(ValidityCheck(
            id: "bounds", title: "Every perturbation is within ε and the box [0, 1]", status: o.boundViolations == 0 ? .pass : .fail,
            detail: "\(o.boundViolations) adversarial example(s) outside the ε-ball or [0, 1]",
            advice: "An attack left its threat model; its numbers are invalid. This is a bug in the attack: report it."))

        // Determinism.
        checks.append(ValidityCheck(
            id: "deterministic", title: "Two forward passes of the same input agree", status: o.deterministic ? .pass : .fail,
            detail: o.deterministic ? "the first batch gave bit-identical logits twice" : "the same batch gave different logits twice",
            advice: "A randomised model needs attacks with expectation over transformation (EOT); single-sample gradients overstate robustness."))

        // Large epsilon reaches chance.
        if let large = o.largeEps {
            let margin = 0.05
            checks.append(ValidityCheck(
                id: "large-eps", title: "At ε = 1 (the whole box) accuracy falls to chance", status: large.accuracy <= large.chance + margin ? .pass : .fail,
                detail: "PGD-50 at L-inf ε = 1 on \(large.n) samples: \(pp(large.accuracy)) (chance \(pp(large.chance)), margin \(pp(margin)))",
                advice: "With the whole box allowed any image can be reached; if accuracy stays high the attack cannot follow the gradients (masking) or is broken."))
        }
        // Convergence.
        if let c = o.convergence {
            let drop = c.base - c.stronger
            checks.append(ValidityCheck(
                id: "convergence", title: "More steps and restarts do not lower accuracy much",
                status: drop > 0.05 ? .fail : (drop > 0.015 ? .warn : .pass),
                detail: "\(c.attack) at ε=\(c.eps) on \(c.n) samples: \(pp(c.base)) with the run's settings, \(pp(c.stronger)) with 5x steps and 2 restarts",
                advice: "If a stronger attack finds many more adversarial examples the reported curve is optimistic: raise --steps and --restarts until it stops moving."))
        }
        return checks
    }

    /// A certificate is a proof that no adversarial example exists in the ball, so an attack that found
    /// one there means a bound (or the attack's projection) is wrong: the run cannot be trusted.
    static func certifiedSoundness(_ certification: CertificationRun, samples: [SampleRecord]) -> ValidityCheck {
        let broken = certification.contradictions(with: samples)
        let certified = certification.records.filter(\.certified).count
        return ValidityCheck(
            id: "certified-sound", title: "No certified sample is fooled by an attack",
            status: broken.isEmpty ? .pass : .fail,
            detail: broken.isEmpty
                ? "\(certified) certificates (\(certification.methods.joined(separator: "+"))) over \(certification.epsilons.count) ε; no attack record contradicts one"
                : "\(broken.count) record(s) fooled although certified, e.g. sample \(broken[0].index) by \(broken[0].attack) at ε=\(broken[0].eps)",
            advice: "A certified sample cannot have an adversarial example in its ball. A contradiction means the bound propagation or the attack's projection is wrong; report it with results.json.")
    }

    /// The clean image lies in its own ball, so a certified sample must be classified correctly: one that is not
    /// means the bounds do not hold for the network the clean pass ran.
    static func certifiedCorrect(_ certification: CertificationRun, correctlyClassified: Set<Int>) -> ValidityCheck {
        let wrong = certification.records.filter { $0.certified && !correctlyClassified.contains($0.index) }
        return ValidityCheck(
            id: "certified-correct", title: "Every certified sample is classified correctly",
            status: wrong.isEmpty ? .pass : .fail,
            detail: wrong.isEmpty
                ? "\(certification.records.filter(\.certified).count) certificates, all on correctly classified samples"
                : "\(wrong.count) certificate(s) on misclassified samples, e.g. sample \(wrong[0].index) at ε=\(wrong[0].eps)",
            advice: "A certificate covers the clean image itself. A misclassified certified sample means the bound propagation and the model's forward pass disagree; report it with results.json.")
    }

    private static func attackName(_ id: String, _ attacks: [AttackRun]) -> String {
        attacks.first { $0.id == id }?.attack ?? id
    }

    private static func usesGradients(_ id: String, _ attacks: [AttackRun]) -> Bool {
        attacks.first { $0.id == id }?.usesGradients ?? false
    }
}
