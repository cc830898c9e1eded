import Datasets
import NN
import Privacy
import TensorCore

/// What the attacks read from a model for each audited image: its cross-entropy loss and LiRA's logit-scaled
/// confidence φ = z_y − log Σ_{j≠y} e^{z_j}, both from the logits in Double.
struct ModelOutputs {
    var losses: [Double] = []
    var confidences: [Double] = []

    /// The outputs of `classifier` (inference mode) on `indices` of `dataset`, in that order. Every sample is
    /// computed alone, so the batch size changes only the speed.
    init(classifier: any Classifier, dataset: Dataset, indices: [Int], batchSize: Int) {
        losses.reserveCapacity(indices.count)
        confidences.reserveCapacity(indices.count)
        for batch in dataset.batches(indices: indices, batchSize: batchSize) {
            let logits = classifier.logits(batch.x)
            for (row, label) in batch.labels.enumerated() {
                let z = logits.logitRow(row)
                // −log softmax(z)_y, on the one log-sum-exp (TensorCore).
                losses.append(logSumExp(z) - z[label])
                confidences.append(logitScaledConfidence(logits: z, label: label))
            }
        }
    }
}
