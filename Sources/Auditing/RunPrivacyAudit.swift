import Datasets
import Foundation
import Kernels
import Models
import Privacy
import Reports
import Training
import Workflow

/// `robust privacy` as a function: loads the model and its card, resolves the index sets, runs the attacks and
/// the DP audit, and returns what privacy.json holds. Errors are `ToolError`s: usage (exit 2) for flags, sets and
/// recipes that cannot work, bad input (exit 3) for files. A failed audit is recorded, not thrown: the caller
/// writes the folder first.
///
/// `progress` shows LiRA's shadow training; `warning` gets one-line notes that do not stop the run.
public func runPrivacyAudit(_ request: PrivacyRequest, context: ExecutionContext, progress: ShadowProgress? = nil,
                            warning: ((String) -> Void)? = nil) throws -> PrivacyResults {
    let started = Date()
    let model = try loadModel(request.model, dataset: request.dataset, modelsDirectory: request.modelsDirectory)
    let card = model.format == "safetensors" ? try? ModelCard.read(path: ModelCard.path(forCheckpoint: model.path)) : nil
    if let card, card.dataset != request.dataset {
        throw ToolError.usage("model \(request.model) was trained on \(card.dataset), not \(request.dataset); pass --dataset \(card.dataset)")
    }
    var splits: [DatasetSplit: Dataset] = [:]
    func load(_ split: DatasetSplit) throws -> Dataset {
        if let loaded = splits[split] { return loaded }
        let loaded = try DatasetCatalog.load(request.dataset, directory: request.dataDirectory, split: split)
        let shape = model.inputShape
        guard shape.channels == loaded.channels, shape.height == loaded.height, shape.width == loaded.width,
              model.classes == loaded.classNames.count else {
            throw ToolError.badInput("model \(request.model) takes \(shape.channels)x\(shape.height)x\(shape.width) images of \(model.classes) classes "
                + "but \(loaded.name) has \(loaded.channels)x\(loaded.height)x\(loaded.width) of \(loaded.classNames.count); pick the model's dataset")
        }
        splits[split] = loaded
        return loaded
    }

    let sets = try AuditSets.resolve(request, trainedOn: trainedSamples(card), count: { try load($0).count }, warning: warning)
    let lira = try request.attacks.contains(.lira) ? LiRAPlan(request, card: card, sets: sets, pool: try load(sets.reference!.split)) : nil
    let guarantee = try DPAudit.guarantee(in: card, path: model.path)

    let members = AuditedImages(dataset: try load(sets.members.split), indices: sets.members.indices)
    let nonMembers = AuditedImages(dataset: try load(sets.nonMembers.split), indices: sets.nonMembers.indices)
    let classifier = model.makeClassifier(context: context)
    let targetMembers = ModelOutputs(classifier: classifier, dataset: members.dataset, indices: members.indices, batchSize: request.batchSize)
    let targetNonMembers = ModelOutputs(classifier: classifier, dataset: nonMembers.dataset, indices: nonMembers.indices, batchSize: request.batchSize)

    var curves: [(name: String, curve: ROCCurve, shadows: ShadowSummary?)] = []
    for attack in request.attacks {
        switch attack {
        case .loss:
            let curve = try rocCurve(lossAttackScores(losses: targetMembers.losses), lossAttackScores(losses: targetNonMembers.losses), model: request.model)
            curves.append((attack.rawValue, curve, nil))
        case .lira:
            let plan = lira!
            let (phi, shadowModels) = try plan.shadows.confidences(of: [members, nonMembers], batchSize: request.batchSize,
                                                                  context: context, progress: progress)
            let scores: [Double]
            do {
                scores = try offlineLiRAScores(targetConfidences: targetMembers.confidences + targetNonMembers.confidences,
                                               outConfidences: phi, variance: plan.variance)
            } catch let error as PrivacyError {
                throw ToolError.badInput("LiRA: \(error)")
            }
            let curve = try rocCurve(Array(scores[..<members.indices.count]), Array(scores[members.indices.count...]), model: request.model)
            curves.append((attack.rawValue, curve, plan.summary(models: shadowModels)))
        }
    }

    let audit = try DPAudit.run(curves.map { ($0.name, $0.curve) }, guarantee: guarantee)
    let attacks = curves.map { name, curve, shadows in
        MembershipAttackResult(name: name, auc: curve.auc, operatingPoints: PrivacyResults.reportedFPRs.map { curve.operatingPoint(atFPR: $0) },
                               roc: curve.thinnedRecords(), rocPointsTotal: curve.points.count, shadows: shadows)
    }
    return PrivacyResults(toolVersion: toolVersion, created: ISO8601DateFormatter().string(from: started),
                          seconds: Date().timeIntervalSince(started),
                          model: PrivacyModelInfo(name: request.model, path: model.path, architecture: model.architecture, sha256: model.sha256),
                          dataset: request.dataset, dataDirectory: request.dataDirectory ?? "(default location)",
                          members: sets.members.info, nonMembers: sets.nonMembers.info, reference: lira.map { _ in sets.reference!.info },
                          seed: request.seed, threads: context.threads, attacks: attacks, dpGuarantee: guarantee, audit: audit)
}

/// The ROC of member and non-member scores; a NaN score (non-finite logits) is bad input naming the model.
private func rocCurve(_ memberScores: [Double], _ nonMemberScores: [Double], model: String) throws -> ROCCurve {
    do {
        return try ROCCurve(memberScores: memberScores, nonMemberScores: nonMemberScores)
    } catch let error as PrivacyError {
        throw ToolError.badInput("model \(model) gives unusable membership scores: \(error)")
    }
}

/// How many training images the card says the model saw (`robust train --samples N` trains on train:0:N).
private func trainedSamples(_ card: ModelCard?) -> Int? {
    guard case .number(let n)? = card?.trainingRecipe["train_samples"], n >= 1, n == n.rounded(), n < 1e9 else { return nil }
    return Int(n)
}
