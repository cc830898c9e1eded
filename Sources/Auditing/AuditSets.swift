import Datasets
import Workflow

/// The three index sets of an audit, with the defaults filled in and every rule checked: each block inside
/// its split, members and non-members disjoint, and LiRA's reference pool disjoint from both (a shadow model
/// that saw an audited image would not be an OUT model for it).
struct AuditSets {
    let members: AuditSplit
    let nonMembers: AuditSplit
    /// Only when LiRA runs.
    let reference: AuditSplit?

    /// Non-members by default: as many test images as members, at most this many.
    static let defaultNonMembers = 10_000

    /// `trainedOn` is the card's training-set size N (the model saw train:0:N), nil when the card does not say;
    /// `count` gives a split's image count. Violations are usage errors naming the flags.
    static func resolve(_ request: PrivacyRequest, trainedOn: Int?, count: (DatasetSplit) throws -> Int,
                        warning: ((String) -> Void)?) throws -> AuditSets {
        guard let members = request.members ?? trainedOn.map({ AuditSplit(split: .train, start: 0, end: $0) }) else {
            throw ToolError.usage("--members: the card of \(request.model) does not record how many training images it saw (train_samples); "
                + "give --members train:START:END")
        }
        try members.checkFits(count: try count(members.split), flag: "--members")
        let nonMembers = try request.nonMembers
            ?? AuditSplit(split: .test, start: 0, end: min(members.count, defaultNonMembers, try count(.test)))
        try nonMembers.checkFits(count: try count(nonMembers.split), flag: "--non-members")
        guard !members.overlaps(nonMembers) else {
            throw ToolError.usage("--members \(members.spec) and --non-members \(nonMembers.spec) overlap; an image cannot be both, give disjoint blocks")
        }
        if let trainedOn {
            let trained = AuditSplit(split: .train, start: 0, end: trainedOn)
            if members.split != .train || members.end > trainedOn {
                warning?("--members \(members.spec) reaches beyond \(trained.spec), the images the card says \(request.model) was trained on; those are not members")
            }
            if nonMembers.overlaps(trained) {
                warning?("--non-members \(nonMembers.spec) overlaps \(trained.spec), the images the card says \(request.model) was trained on; those are members")
            }
        }
        guard request.attacks.contains(.lira) else { return AuditSets(members: members, nonMembers: nonMembers, reference: nil) }

        let reference: AuditSplit
        if let given = request.reference {
            reference = given
        } else {
            guard let trainedOn else {
                throw ToolError.usage("LiRA needs a reference pool of images \(request.model) never saw and its card does not record train_samples; "
                    + "give --reference SPLIT:START:END or use --attack loss")
            }
            let trainCount = try count(.train)
            guard trainedOn < trainCount else {
                throw ToolError.usage("\(request.model) was trained on all \(trainCount) training images, so no reference pool is left for LiRA's shadow models; "
                    + "give --reference with images it never saw (e.g. --non-members test:0:5000 --reference test:5000:10000) or use --attack loss")
            }
            reference = AuditSplit(split: .train, start: trainedOn, end: trainCount)
        }
        try reference.checkFits(count: try count(reference.split), flag: "--reference")
        for (flag, set) in [("--members", members), ("--non-members", nonMembers)] where reference.overlaps(set) {
            throw ToolError.usage("LiRA's reference pool \(reference.spec) overlaps \(flag) \(set.spec): a shadow model must never see an audited image; "
                + "give a disjoint --reference")
        }
        return AuditSets(members: members, nonMembers: nonMembers, reference: reference)
    }
}
