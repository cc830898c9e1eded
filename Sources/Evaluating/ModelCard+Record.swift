import Files
import Foundation
import Metrics
import Models
import Reports
import Workflow

/// Records a run's robust accuracies in the model card of the checkpoint it evaluated, so a card
/// carries its measured robustness next to its clean accuracy (`robust models record RUN`).
/// The run's model SHA-256 must match the card's: numbers never land on other weights.
public func recordRobustAccuracy(run: String) throws -> (card: String, entries: [ModelCard.RobustAccuracy]) {
    let path = RunResults.resultsPath(for: run)
    let results: RunResults
    do { results = try RunResults.load(path: path) } catch { throw ToolError.badInput("\(error)") }
    let cardPath = ModelCard.path(forCheckpoint: results.model.path)
    var card: ModelCard
    do { card = try ModelCard.read(path: cardPath) } catch { throw ToolError.badInput("\(error)") }
    guard card.sha256.lowercased() == results.model.sha256.lowercased() else {
        throw ToolError.badInput("\(path) evaluated weights with SHA-256 \(results.model.sha256), but \(cardPath) describes \(card.sha256); re-run `robust eval` on this checkpoint")
    }
    let entries = results.curve.filter { $0.eps > 0 }.map { point -> ModelCard.RobustAccuracy in
        // The worst case is named by the attacks it covers, so runs with different suites do not collide.
        let name: String, what: String
        if let run = results.attacks.first(where: { $0.id == point.attack }) {
            name = point.attack
            what = run.attack + " " + run.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        } else if point.attack == CurvePoint.certified, let certification = results.certification {
            // A lower bound, not an attack's upper bound: named by its methods so the two never mix.
            let methods = certification.methods.joined(separator: "+")
            name = "certified(\(methods))"
            what = "certified lower bound (\(methods)): no perturbation in the ball changes the class"
        } else {
            name = "worst(" + results.attacks.filter { $0.norm == point.norm }.map(\.id).joined(separator: "+") + ")"
            what = "worst case over the run's attacks"
        }
        return ModelCard.RobustAccuracy(attack: name, norm: point.norm, eps: point.eps, samples: point.n, accuracy: point.robustAcc,
                                        command: "robust eval on \(results.dataset.name) \(results.dataset.split), seed \(results.seed), \(results.created): \(what)")
    }
    // Replace earlier entries for the same attack, norm, epsilon and sample count.
    card.robustAccuracy.removeAll { old in entries.contains { $0.attack == old.attack && $0.norm == old.norm && $0.eps == old.eps && $0.samples == old.samples } }
    card.robustAccuracy += entries
    card.robustAccuracy.sort { ($0.norm, $0.eps, $0.attack, $0.samples) < ($1.norm, $1.eps, $1.attack, $1.samples) }
    do { try writeAtomically(try card.encoded(), to: cardPath) } catch {
        throw ToolError.badInput("cannot write \(cardPath): \(error)")
    }
    return (cardPath, entries)
}
