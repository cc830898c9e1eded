#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Attacks
import Models
import NN

/// Builds the adversarial examples of a training batch with the model in inference mode (so
/// BatchNorm statistics are not updated by the attack), reusing the attacks' input-gradient path.
struct AdversarialBatch {
    let config: AdversarialTraining
    let classifier: NetworkClassifier

    /// Adversarial images for x at radius `eps`; randomness keyed by (seed, epoch, each sample's global index).
    func generate(_ x: Tensor, labels: [Int], indices: [Int], eps: Float, seed: UInt64, epoch: Int) -> Tensor {
        guard eps > 0 else { return x }
        let context = AttackContext(eps: eps, seed: SplitMix64.derive(seed, 0x6164_7620, UInt64(epoch)), indices: indices,
                                    prune: false, keepHighestLoss: true)
        switch config.method {
        case .pgd:
            let pgd = try! PGD(options: AttackOptions(norm: .linf, steps: config.steps))
            return pgd.perturb(classifier, x: x, labels: labels, targets: nil, context: context)
        case .fgsmRS:
            return fgsmRandomStart(x, labels: labels, eps: eps, context: context)
        case .trades:
            return tradesAdversary(x, eps: eps, context: context)
        case .ibp:
            preconditionFailure("AdversarialBatch: ibp training bounds the loss; it makes no adversarial examples")
        }
    }

    /// FGSM from a uniform random start with step 1.25 * eps, projected back onto the ball and the box.
    private func fgsmRandomStart(_ x: Tensor, labels: [Int], eps: Float, context: AttackContext) -> Tensor {
        let n = x.dim(0), d = x.count / max(1, n)
        var start = x
        for i in 0..<n {
            var rng = context.rng(sample: i, attack: "fgsm-rs")
            for j in 0..<d { start.storage[i * d + j] = min(max(x.storage[i * d + j] + (2 * rng.nextFloat() - 1) * eps, 0), 1) }
        }
        let (_, _, gradient) = classifier.valueAndGradient(start) { Objective.crossEntropy.evaluate(logits: $0, labels: labels, targets: nil) }
        var adv = start
        for i in 0..<n {
            var row = (0..<d).map { j -> Float in
                let g = gradient.storage[i * d + j]
                return start.storage[i * d + j] + 1.25 * eps * (g > 0 ? 1 : (g < 0 ? -1 : 0))
            }[...]
            Norm.linf.project(&row, clean: x.storage[i * d..<(i + 1) * d], eps: eps)
            adv.storage.replaceSubrange(i * d..<(i + 1) * d, with: row)
        }
        return adv
    }

    /// TRADES' inner maximisation: sign steps of 2.5 * eps / steps on KL(f(x) || f(x')) from x + 0.001 * N(0, 1).
    private func tradesAdversary(_ x: Tensor, eps: Float, context: AttackContext) -> Tensor {
        let n = x.dim(0), d = x.count / max(1, n)
        let cleanLogits = classifier.logits(x)
        let k = cleanLogits.dim(1)
        let clean = softmaxRows(cleanLogits)
        var adv = x
        for i in 0..<n {
            var rng = context.rng(sample: i, attack: "trades")
            for j in 0..<d { adv.storage[i * d + j] = min(max(x.storage[i * d + j] + 0.001 * rng.nextGaussian(), 0), 1) }
        }
        let alpha = 2.5 * eps / Float(config.steps)
        for _ in 0..<config.steps {
            let (_, _, gradient) = classifier.valueAndGradient(adv) { z in
                // d KL(p || softmax(z)) / dz = q - p.
                let q = softmaxRows(z)
                var value = ObjectiveValue(values: [Float](repeating: 0, count: n), dLogits: Tensor(shape: [n, k]))
                for j in 0..<(n * k) { value.dLogits.storage[j] = Float(q[j] - clean[j]) }
                return value
            }
            for i in 0..<n {
                var row = (0..<d).map { j -> Float in
                    let g = gradient.storage[i * d + j]
                    return adv.storage[i * d + j] + alpha * (g > 0 ? 1 : (g < 0 ? -1 : 0))
                }[...]
                Norm.linf.project(&row, clean: x.storage[i * d..<(i + 1) * d], eps: eps)
                adv.storage.replaceSubrange(i * d..<(i + 1) * d, with: row)
            }
        }
        return adv
    }
}

/// Row-wise softmax in Double, flattened [n * k].
func softmaxRows(_ logits: Tensor) -> [Double] {
    (0..<logits.dim(0)).flatMap { softmax(logits.logitRow($0)) }
}

/// TRADES' outer loss on a batch: CE(f(x), y) + beta * KL(f(x) || f(x')), mean over the batch.
/// Runs the adversarial forward/backward first and the clean one last (each layer caches only
/// its last forward), accumulating parameter gradients of both. Returns (loss, clean logits).
func tradesStep(network: any Layer, context: ExecutionContext, clean x: Tensor, adversarial xAdv: Tensor, labels: [Int], beta: Float) -> (Float, Tensor) {
    let n = x.dim(0)
    // Clean probabilities, without gradients, to weight the adversarial term. This forward only
    // looks: its BatchNorm running statistics are put back, so a step moves them twice (adversarial
    // and clean pass), as in the TRADES reference implementation, not three times.
    let buffers = network.namedBuffers().map { ($0.parameter, $0.parameter.value) }
    let zClean0 = network.forward(x, context: context)
    for (buffer, value) in buffers { buffer.value = value }
    let p = softmaxRows(zClean0)
    let k = zClean0.dim(1)
    let zAdv = network.forward(xAdv, context: context)
    let q = softmaxRows(zAdv)
    var kl = [Double](repeating: 0, count: n)
    var dAdv = Tensor(shape: [n, k])
    for i in 0..<n {
        for j in 0..<k {
            let pij = max(p[i * k + j], 1e-12), qij = max(q[i * k + j], 1e-12)
            kl[i] += pij * (log(pij) - log(qij))
            // d KL / d zAdv = q - p
            dAdv.storage[i * k + j] = Float(Double(beta) * (q[i * k + j] - p[i * k + j]) / Double(n))
        }
    }
    network.accumulateParameterGradients(dAdv, context: context)
    let zClean = network.forward(x, context: context)
    var (ce, dClean) = crossEntropy(logits: zClean, labels: labels)
    for i in 0..<n {
        // d KL / d zClean_j = p_j (log p_j - log q_j) - p_j KL
        for j in 0..<k {
            let pij = max(p[i * k + j], 1e-12), qij = max(q[i * k + j], 1e-12)
            dClean.storage[i * k + j] += Float(Double(beta) * (pij * (log(pij) - log(qij)) - pij * kl[i]) / Double(n))
        }
    }
    network.accumulateParameterGradients(dClean, context: context)
    let loss = Double(ce) + Double(beta) * kl.reduce(0, +) / Double(n)
    return (Float(loss), zClean)
}

