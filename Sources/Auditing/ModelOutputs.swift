import Datasets
import NN
import Privacy
import TensorCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
            let classes = logits.dim(1)
            for (row, label) in batch.labels.enumerated() {
                let z = (0..<classes).map { Double(logits.storage[row * classes + $0]) }
                losses.append(Self.crossEntropy(logits: z, label: label))
                confidences.append(logitScaledConfidence(logits: z, label: label))
            }
        }
    }

    /// −log softmax(z)_y = log Σ_j e^{z_j} − z_y, with the maximum taken out so no term overflows.
    static func crossEntropy(logits z: [Double], label: Int) -> Double {
        let top = z.max()!
        return top + log(z.reduce(0) { $0 + exp($1 - top) }) - z[label]
    }
}
