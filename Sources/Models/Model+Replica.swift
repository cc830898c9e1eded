import NN

extension Model {
    /// A copy of the network with the same parameters and buffers, in inference mode. The tensors
    /// share storage with the original until either is written (copy-on-write), so a copy costs its
    /// layers' forward state, not its weights.
    ///
    /// Why: a `NetworkClassifier` runs micro-batches in parallel, each through its own copy, because
    /// a layer keeps what its backward needs from its last forward.
    public func replicaNetwork() -> any Layer {
        // The architecture and shape were valid when this model was built, so building again cannot fail.
        let copy = try! Architecture.named(architecture)!.makeNetwork(
            input: inputShape, classes: classes, preprocessing: preprocessing, seed: 0)
        for ((_, source), (_, target)) in zip(network.namedState(), copy.namedState()) {
            target.value = source.value
        }
        copy.isTraining = false
        return copy
    }
}
