import Attacks
import NN
import Datasets
import XCTest

/// Every registered attack, in every norm it supports, against its definition on the shipped cnn:
/// it stays in the epsilon-ball (+1e-6) and in [0, 1], changes nothing at epsilon 0, and is
/// deterministic given the seed and the sample indices.
final class AttackPropertyTests: XCTestCase {
    /// Small budgets keep the test fast; the properties do not depend on them.
    /// Small budgets for the attacks that take them (an option an attack does not take is an error).
    func options(_ name: String, norm: Norm) -> AttackOptions {
        let wanted: AttackOptions
        switch name {
        case "square": wanted = AttackOptions(norm: norm, queries: 60)
        case "apgd-ce", "apgd-dlr", "apgd-t": wanted = AttackOptions(norm: norm, steps: 12, targetClasses: name == "apgd-t" ? 2 : nil)
        default: wanted = AttackOptions(norm: norm, steps: 5)
        }
        let takes = Set(AttackRegistry.named(name)!.parameters.map(\.name))
        return AttackOptions().overridden(by: wanted, takes: takes)
    }

    func epsilon(_ norm: Norm) -> Float { norm == .linf ? 0.1 : 1.0 }

    func testEveryAttackStaysInTheBallAndTheBox() throws {
        let classifier = try Fixture.classifier()
        let batch = try Fixture.batch(16)
        let d = batch.x.count / 16
        for type in AttackRegistry.all {
            for norm in type.norms {
                let attack = try AttackRegistry.make(type.name, options: options(type.name, norm: norm))
                let eps = epsilon(norm)
                let adv = attack.perturb(classifier, x: batch.x, labels: batch.labels, targets: nil,
                                         context: AttackContext(eps: eps, seed: 7, indices: batch.indices))
                XCTAssertEqual(adv.shape, batch.x.shape, type.name)
                for i in 0..<16 {
                    let a = adv.storage[i * d..<(i + 1) * d], c = batch.x.storage[i * d..<(i + 1) * d]
                    let (linf, l2) = perturbationNorms(a, c)
                    XCTAssertLessThanOrEqual(norm == .linf ? linf : l2, Double(eps) + 1e-6, "\(type.name) \(norm) sample \(i)")
                    XCTAssertTrue(a.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(type.name) \(norm) left the box")
                }
            }
        }
    }

    func testEpsilonZeroChangesNothing() throws {
        let classifier = try Fixture.classifier()
        let batch = try Fixture.batch(8)
        for type in AttackRegistry.all {
            for norm in type.norms {
                let attack = try AttackRegistry.make(type.name, options: options(type.name, norm: norm))
                let adv = attack.perturb(classifier, x: batch.x, labels: batch.labels, targets: nil,
                                         context: AttackContext(eps: 0, seed: 7, indices: batch.indices))
                XCTAssertEqual(adv, batch.x, "\(type.name) \(norm) moved points at eps 0")
            }
        }
    }

    /// The same sample gets the same adversarial example alone, in a batch, and with or without pruning.
    func testPerSampleDeterminismAcrossBatchesAndPruning() throws {
        let classifier = try Fixture.classifier()
        let batch = try Fixture.batch(6)
        let d = batch.x.count / 6
        for name in ["pgd", "apgd-ce", "square", "noise-uniform"] {
            let attack = try AttackRegistry.make(name, options: options(name, norm: .linf))
            let whole = attack.perturb(classifier, x: batch.x, labels: batch.labels, targets: nil,
                                       context: AttackContext(eps: 0.05, seed: 3, indices: batch.indices))
            let unpruned = attack.perturb(classifier, x: batch.x, labels: batch.labels, targets: nil,
                                          context: AttackContext(eps: 0.05, seed: 3, indices: batch.indices, prune: false))
            XCTAssertEqual(whole, unpruned, "\(name): pruning changed the result")
            for i in [0, 5] {
                let single = Tensor(shape: [1, 1, 28, 28], storage: Array(batch.x.storage[i * d..<(i + 1) * d]))
                let alone = attack.perturb(classifier, x: single, labels: [batch.labels[i]], targets: nil,
                                           context: AttackContext(eps: 0.05, seed: 3, indices: [batch.indices[i]]))
                XCTAssertEqual(alone.storage, Array(whole.storage[i * d..<(i + 1) * d]), "\(name): sample \(i) depends on its batch")
            }
        }
    }

    func testTargetedPGDReachesTargets() throws {
        let classifier = try Fixture.classifier()
        let batch = try Fixture.batch(32)
        let targets = batch.labels.map { ($0 + 1) % 10 }
        let attack = try AttackRegistry.make("pgd", options: AttackOptions(steps: 20, target: .random))
        let adv = attack.perturb(classifier, x: batch.x, labels: batch.labels, targets: targets,
                                 context: AttackContext(eps: 0.3, seed: 1, indices: batch.indices))
        let hits = zip(predictions(classifier.logits(adv)), targets).filter { $0 == $1 }.count
        XCTAssertGreaterThanOrEqual(hits, 28, "targeted PGD at eps 0.3 should reach nearly every target on a standard cnn")
    }

    /// PGD generalises FGSM: on the same points it never leaves more of them correctly classified (eps 0.1).
    func testPGDIsAtLeastAsStrongAsFGSM() throws {
        let classifier = try Fixture.classifier()
        let batch = try Fixture.batch(200)
        func robust(_ name: String) throws -> Int {
            let attack = try AttackRegistry.make(name, options: AttackOptions())
            let adv = attack.perturb(classifier, x: batch.x, labels: batch.labels, targets: nil,
                                     context: AttackContext(eps: 0.05, seed: 0, indices: batch.indices))
            return zip(predictions(classifier.logits(adv)), batch.labels).filter { $0 == $1 }.count
        }
        let fgsm = try robust("fgsm"), pgd = try robust("pgd"), apgd = try robust("apgd-ce")
        XCTAssertLessThanOrEqual(pgd, fgsm)
        XCTAssertLessThanOrEqual(apgd, fgsm)
        XCTAssertLessThan(pgd, 100, "PGD at eps 0.05 leaves most of a standard cnn's points broken")
    }

    func testAPGDCheckpointsFollowAutoAttack() {
        XCTAssertEqual(APGDEngine.checkpoints(iterations: 100), [0, 22, 41, 57, 70, 80, 87, 93, 99])
    }

    func testSquareScheduleHalvesP() {
        XCTAssertEqual(Square.fraction(pInit: 0.8, iteration: 5, budget: 10_000), 0.8)
        XCTAssertEqual(Square.fraction(pInit: 0.8, iteration: 11, budget: 10_000), 0.4)
        XCTAssertEqual(Square.fraction(pInit: 0.8, iteration: 9000, budget: 10_000), 0.8 / 512)
        XCTAssertEqual(Square.fraction(pInit: 0.8, iteration: 2500, budget: 5000), 0.8 / 128) // rescaled to 5000 of 10,000: past 4000
    }

    func testBadOptionsAreClearErrors() {
        XCTAssertThrowsError(try AttackRegistry.make("pgdd", options: AttackOptions())) { error in
            XCTAssertTrue("\(error)".contains("known attacks: fgsm, fgm, bim, pgd"), "\(error)")
        }
        XCTAssertThrowsError(try AttackRegistry.make("fgsm", options: AttackOptions(norm: .l2))) { error in
            XCTAssertTrue("\(error)".contains("does not support --norm l2"), "\(error)")
        }
        XCTAssertThrowsError(try AttackRegistry.make("square", options: AttackOptions(target: .random)))
        XCTAssertThrowsError(try AttackRegistry.make("pgd", options: AttackOptions(steps: 0)))
    }
}
