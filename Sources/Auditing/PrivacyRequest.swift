/// What `robust privacy` asks for: a model, the images to audit, the attacks and their settings.
///
/// Index sets left nil take the defaults `runPrivacyAudit` derives from the model card: members are the images
/// the model was trained on (`train:0:N`, N its card's `train_samples`), non-members `test:0:min(N, 10000)`,
/// LiRA's reference pool the training images it never saw (`train:N:<train size>`).
public struct PrivacyRequest: Sendable {
    public var model: String
    public var modelsDirectory: String
    public var dataset: String
    public var dataDirectory: String?
    public var members: AuditSplit?
    public var nonMembers: AuditSplit?
    public var reference: AuditSplit?
    public var attacks: [MembershipAttackKind]
    /// LiRA's shadow models, K ≥ 2 (the Gaussian's variance is pooled over examples when K < 8).
    public var shadows: Int
    /// Seeds shadow k's training subset and weights from (seed, k).
    public var seed: UInt64
    /// Images per forward pass (results do not depend on it).
    public var batchSize: Int

    /// Fewer shadow models than this pool the variance over examples (Carlini et al.'s advice for small K).
    public static let perExampleVarianceShadows = 8

    public init(model: String = "cnn", modelsDirectory: String = "models", dataset: String = "fashion-mnist",
                dataDirectory: String? = nil, members: AuditSplit? = nil, nonMembers: AuditSplit? = nil,
                reference: AuditSplit? = nil, attacks: [MembershipAttackKind] = [.loss, .lira], shadows: Int = 8,
                seed: UInt64 = 0, batchSize: Int = 256) {
        precondition(!attacks.isEmpty && shadows >= 2 && batchSize > 0, "PrivacyRequest: unchecked attacks, shadows or batch size")
        (self.model, self.modelsDirectory, self.dataset, self.dataDirectory) = (model, modelsDirectory, dataset, dataDirectory)
        (self.members, self.nonMembers, self.reference) = (members, nonMembers, reference)
        (self.attacks, self.shadows, self.seed, self.batchSize) = (attacks, shadows, seed, batchSize)
    }
}
