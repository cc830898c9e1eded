import Datasets
import Foundation
import Models
import Privacy
import Reports
import Training
import Workflow

/// What LiRA needs before any work starts, checked up front: the target's recipe (decoded from its card), the
/// shadow models' training-set size, and the variance estimate.
struct LiRAPlan {
    let shadows: ShadowModels
    let variance: LiRAVariance
    let pool: AuditSplit

    /// Usage errors when the card has no recipe this robust can run, or the pool is too small for it.
    init(_ request: PrivacyRequest, card: ModelCard?, sets: AuditSets, pool: Dataset) throws {
        guard let card, case .string(let json)? = card.trainingRecipe["config"] else {
            throw ToolError.usage("\(request.model) has no training recipe on its model card (training_recipe.config), "
                + "so LiRA cannot train shadow models like it; use --attack loss")
        }
        let recipe: TrainConfig
        do {
            recipe = try JSONDecoder().decode(TrainConfig.self, from: Data(json.utf8))
        } catch {
            throw ToolError.usage("the training recipe on the card of \(request.model) is not one this robust can run (\(error)); "
                + "retrain the model with this robust or use --attack loss")
        }
        let reference = sets.reference!
        // Shadows mimic the target's training, set size included (LiRA's OUT distributions depend on it; a DP
        // recipe's sample rate too): N images when the pool has 2N, else a random half.
        var trainingSamples = reference.count / 2
        if case .number(let n)? = card.trainingRecipe["train_samples"], n >= 1 { trainingSamples = min(trainingSamples, Int(n)) }
        guard trainingSamples >= 1 else {
            throw ToolError.usage("LiRA's reference pool \(reference.spec) has \(reference.count) image; shadow models need at least 2, give a larger --reference")
        }
        if recipe.privacy != nil, recipe.batchSize > trainingSamples {
            throw ToolError.usage("the DP recipe's batch size \(recipe.batchSize) is above the \(trainingSamples) images of each shadow's training set; "
                + "give a larger --reference (at least \(2 * recipe.batchSize) images)")
        }
        shadows = ShadowModels(recipe: recipe, architecture: card.architecture, datasetName: card.dataset, classNames: card.classNames,
                               pool: pool, poolIndices: reference.indices, trainingSamples: trainingSamples, count: request.shadows,
                               seed: request.seed)
        variance = request.shadows >= PrivacyRequest.perExampleVarianceShadows ? .perExample : .global
        self.pool = reference
    }

    /// The shadow models as privacy.json records them.
    func summary(models: [ShadowModelInfo]) -> ShadowSummary {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let recipe = (try? encoder.encode(shadows.recipe)).flatMap { String(data: $0, encoding: .utf8) } ?? ""
        return ShadowSummary(variance: variance == .perExample ? "per-example" : "global",
                             pool: "\(pool.spec), a random \(shadows.trainingSamples) of its \(pool.count) images per shadow",
                             trainingSamples: shadows.trainingSamples, recipe: recipe, models: models)
    }
}
