import NN

/// One steepest-ascent step of size epsilon from the clean image (FGSM in L-inf, FGM in L2),
/// then projection onto the box: x + eps * sign(g), or x + eps * g / ||g||_2.
func singleStep(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, eps: Float, norm: Norm) -> Tensor {
    guard eps > 0 else { return x }
    let objective: Objective = targets == nil ? .crossEntropy : .targetedCrossEntropy
    let (_, _, gradient) = classifier.valueAndGradient(x) { objective.evaluate(logits: $0, labels: labels, targets: targets) }
    var adv = x
    for i in 0..<x.dim(0) {
        let direction = norm.steepestDirection(gradient.row(i))
        var next = zip(x.row(i), direction).map { $0 + eps * $1 }[...]
        norm.project(&next, clean: x.row(i), eps: eps)
        adv.setRow(i, next)
    }
    return adv
}
