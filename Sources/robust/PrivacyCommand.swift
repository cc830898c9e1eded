import ArgumentParser
import Foundation
import Harness

/// `robust privacy`: membership-inference audits of a trained model, and the DP audit of its card's claim.
struct PrivacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Measure how much a model leaks about its training images (membership inference) and audit its DP claim.",
        discussion: """
        Attacks: loss (Yeom et al. 2018: training images have lower loss) and lira (offline LiRA, Carlini et al. \
        2022: K shadow models are trained with the model's own recipe, from its card, on random subsets of a \
        reference pool of images it never saw; each audited image's logit-scaled confidence under the model is \
        scored against a Gaussian fitted to it under the shadows). Each attack gets a ROC; the figures that matter \
        are the true positive rates at 0.1 % and 1 % false positive rate, with Clopper-Pearson 95 % intervals.

        SPLIT is train:START:END or test:START:END, half-open indices into that split. Defaults: members are the \
        images the card says the model was trained on (`robust train --samples N`: train:0:N), non-members \
        test:0:min(N, 10000), LiRA's reference pool the training images the model never saw (train:N:end). The \
        three must be disjoint.

        When the card claims (epsilon, delta)-DP (`robust train --dp`), every ROC point is checked against \
        TPR <= e^epsilon * FPR + delta with the TPR's lower and the FPR's upper bound; a point above it means the \
        accountant, the clipping or the noise is wrong: the folder is written, then robust exits 1.

        Examples:
          robust privacy --model cnn --members train:0:10000 --non-members test:0:10000 --attack loss
          robust train --model mlp --samples 2000 --epochs 30 --out models/mlp-overfit
          robust privacy --model models/mlp-overfit.safetensors --shadows 8 --out reports/privacy
          robust gate reports/privacy --require 'mia-tpr@0.001<=0.05' --require 'mia-auc<=0.6'

        Writes <out>/privacy.json (the source of truth), roc.csv and index.html (log-log ROC).
        """
    )

    @Option(help: "Model: an architecture (the shipped checkpoint for the dataset), a checkpoint name in --models-dir, a .safetensors path (its card gives the recipe LiRA needs), or a .onnx file (loss attack, with --members).")
    var model = "cnn"

    @Option(help: "Folder of shipped checkpoints.")
    var modelsDir = "models"

    @Option(help: "Dataset the model was trained on: fashion-mnist (default), mnist, cifar10, imagefolder.")
    var dataset = "fashion-mnist"

    @Option(help: "Folder with the dataset's files (required for cifar10 and imagefolder).")
    var data: String?

    @Option(help: ArgumentHelp("Images the model was trained on (default: train:0:N from its card).", valueName: "split"))
    var members: String?

    @Option(help: ArgumentHelp("Images it never saw (default: test:0:min(members, 10000)).", valueName: "split"))
    var nonMembers: String?

    @Option(help: ArgumentHelp("LiRA's pool for shadow training sets, disjoint from both (default: train:N:end).", valueName: "split"))
    var reference: String?

    @Option(help: ArgumentHelp("Attacks: loss, lira or loss,lira.", valueName: "attacks"))
    var attack = "loss,lira"

    @Option(help: "LiRA's shadow models (2 or more; fewer than 8 pool the variance over images).")
    var shadows = 8

    @Option(help: "Seed of the shadow models' training subsets and weights (shadow k from (seed, k)).")
    var seed: UInt64 = 0

    @Option(help: "Images per forward pass (results do not depend on it).")
    var batchSize = 256

    @Option(help: "Threads (results do not depend on it).")
    var threads = ExecutionContext.availableCores

    @Option(help: "Output folder (default reports/<model>-privacy-<time>/).")
    var out: String?

    func validate() throws {
        guard batchSize > 0, threads > 0 else { throw ValidationError("--batch-size and --threads must be positive") }
        guard (2...256).contains(shadows) else { throw ValidationError("--shadows must be between 2 and 256 (got \(shadows))") }
        _ = try request()
    }

    /// The flags as the workflow takes them; malformed values are usage errors.
    func request() throws -> PrivacyRequest {
        PrivacyRequest(model: model, modelsDirectory: modelsDir, dataset: dataset, dataDirectory: data,
                       members: try members.map { try AuditSplit.parse($0, flag: "--members") },
                       nonMembers: try nonMembers.map { try AuditSplit.parse($0, flag: "--non-members") },
                       reference: try reference.map { try AuditSplit.parse($0, flag: "--reference") },
                       attacks: try MembershipAttackKind.parseList(attack), shadows: shadows, seed: seed, batchSize: batchSize)
    }

    func run() throws {
        let request = try request()
        let folder = out ?? defaultRunFolder(model: model, what: "privacy")
        try prepareRunFolder(folder)
        let results = try runPrivacyAudit(request, context: ExecutionContext(threads: threads),
                                          progress: request.attacks.contains(.lira) ? ShadowProgress(shadows: shadows) : nil) { note in
            FileHandle.standardError.write(Data("robust: warning: \(singleLine(note))\n".utf8))
        }
        do { try writePrivacyRun(results, to: folder) } catch {
            throw ToolError.badInput("cannot write the privacy run in \(folder): \(error.localizedDescription); pick another --out")
        }
        print(PrivacyTable.render(results))
        print("wrote \(folder)/privacy.json, roc.csv and index.html (\(String(format: "%.1f", results.seconds)) s)")
        if let failure = PrivacyTable.auditFailure(results) { throw failure }
    }
}
