import Metrics

/// A small synthetic run for the report tests: three attacks over two norms, four classes (one
/// named like an HTML injection), per-sample records from a fixed rule, two examples (gray and
/// RGB) and one check of each status. The curve is built with Metrics' own functions.
enum ReportFixture {
    static let classNames = ["T-shirt", "<script>alert(1)</script>", "Bag & \"Co\"", "Ankle boot"]
    static let linfGrid = [0, 0.05, 0.1, 0.2]
    static let l2Grid = [0, 0.5, 1.0]

    static func results() -> RunResults {
        let indices = Array(0..<16) + [40, 41, 42, 43]
        let attacks = [
            AttackRun(id: "fgsm", attack: "fgsm", norm: "linf", epsilons: linfGrid, parameters: [:], usesGradients: true, seconds: 0.4),
            AttackRun(id: "pgd", attack: "pgd", norm: "linf", epsilons: linfGrid,
                      parameters: ["steps": "20", "step_size": "eps/4", "restarts": "1", "note": "<b>x</b>"], usesGradients: true, seconds: 3.2),
            AttackRun(id: "square-l2", attack: "square", norm: "l2", epsilons: l2Grid,
                      parameters: ["queries": "1000"], usesGradients: false, seconds: 8.5),
        ]
        var samples: [SampleRecord] = []
        var curve: [CurvePoint] = []
        for attack in attacks {
            let strength = attack.id == "fgsm" ? 0.7 : 1.0
            for eps in attack.epsilons {
                let records = indices.map { index in
                    record(index: index, attack: attack, eps: eps, relativeEps: strength * eps / attack.epsilons.last!)
                }
                samples += records
                curve.append(.from(attack: attack.id, norm: attack.norm, eps: eps, records: records,
                                   queries: records.count * (attack.id == "fgsm" ? 1 : 20),
                                   seconds: attack.seconds / Double(attack.epsilons.count)))
            }
        }
        curve += CurvePoint.worstCase(samples: samples)
        let correct = indices.filter { cleanCorrect($0) }.count
        return RunResults(
            toolVersion: "0.1.0-test", created: "2025-01-02T03:04:05Z", seconds: 125.5,
            model: ModelInfo(name: "cnn-<fixture>", path: "models/cnn-fixture.safetensors", architecture: "cnn",
                             sha256: String(repeating: "ab", count: 32), parameters: 1_234_567, cardCleanAccuracy: 0.9286),
            dataset: DatasetInfo(name: "fashion-mnist", split: "test", directory: "/data/fmnist", classNames: classNames,
                                 channels: 1, height: 8, width: 8, indices: indices),
            seed: 7, threads: 2, batchSize: 64, clean: CleanResult(n: indices.count, correct: correct),
            attacks: attacks, curve: curve, samples: samples, examples: [grayExample(), rgbExample()],
            checks: [
                ValidityCheck(id: "bounds", title: "Perturbations within ε", status: .pass,
                              detail: "max L∞ 0.2 ≤ ε 0.2", advice: "None needed."),
                ValidityCheck(id: "convergence", title: "Attack converged", status: .warn,
                              detail: "loss still rising at step 20 for 3 samples", advice: "Increase --steps & re-run."),
                ValidityCheck(id: "blackbox-beats-whitebox", title: "Black-box weaker than white-box", status: .fail,
                              detail: "square found 2 examples pgd missed <sign of gradient masking>",
                              advice: "Gradients may be masked; add apgd-ce or increase restarts."),
            ])
    }

    /// Sample `index` is classified correctly unless `index % 7 == 3`.
    static func cleanCorrect(_ index: Int) -> Bool { index % 7 != 3 }

    /// A sample survives while its fixed "margin" exceeds the attack's relative strength.
    static func record(index: Int, attack: AttackRun, eps: Double, relativeEps: Double) -> SampleRecord {
        let label = index % classNames.count
        let margin = Double((index * 37 + 11) % 100) / 100
        let clean = cleanCorrect(index) ? label : (label + 1) % classNames.count
        let robust = clean == label && margin > relativeEps
        let adv = robust ? label : (label + 1) % classNames.count
        let size = robust ? eps / 2 : eps
        return SampleRecord(index: index, label: label, attack: attack.id, norm: attack.norm, eps: eps, cleanPred: clean,
                            advPred: adv, success: clean == label && !robust,
                            linf: attack.norm == "linf" ? size : size / 4, l2: attack.norm == "l2" ? size : size * 4)
    }

    /// 8×8 gray: a gradient, and the same with a ±12 checkerboard (so the amplified perturbation spans 0–255).
    static func grayExample() -> Example {
        let clean = (0..<64).map { UInt8(40 + 2 * $0) }
        let adv = (0..<64).map { i -> UInt8 in (i / 8 + i % 8) % 2 == 0 ? clean[i] + 12 : clean[i] - 12 }
        return Example(index: 1, label: 1, attack: "pgd", norm: "linf", eps: 0.05, cleanPred: 1, cleanConfidence: 0.97,
                       advPred: 2, advConfidence: 0.81, channels: 1, height: 8, width: 8, cleanPixels: clean, advPixels: adv)
    }

    /// 8×8 RGB (C×H×W): three flat planes, one green value raised by 30.
    static func rgbExample() -> Example {
        let clean = [UInt8](repeating: 200, count: 64) + [UInt8](repeating: 100, count: 64) + [UInt8](repeating: 50, count: 64)
        var adv = clean
        adv[64 + 9] = 130
        return Example(index: 40, label: 0, attack: "square-l2", norm: "l2", eps: 0.5, cleanPred: 0, cleanConfidence: 0.64,
                       advPred: 0, advConfidence: 0.51, channels: 3, height: 8, width: 8, cleanPixels: clean, advPixels: adv)
    }
}
