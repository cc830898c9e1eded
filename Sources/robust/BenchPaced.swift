import ArgumentParser
import Foundation
import Harness

/// `robust bench paced`: single batches on request, for timing beside another tool in pairs.
struct BenchPaced: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paced",
        abstract: "Time one batch per line of standard input (inference, train or attack), for side-by-side pairs.",
        discussion: """
        Sets up an architecture's inference and training step (as `bench model` runs them) and an attack on its \
        shipped checkpoint (as `bench attack`), runs each once to warm up, prints `ready`, then for every line \
        read (inference, train or attack) runs one batch of that case and prints the seconds it took. An empty \
        line or the end of input ends it. Why: scripts/compare_torch_speed.py alternates single batches of robust \
        and PyTorch, so every ratio compares two batches a moment apart, on machines whose speed drifts by tens \
        of percent within minutes.
        Example: printf 'train\\ntrain\\nattack\\n' | robust bench paced --model resnet-lite --threads 2
        """
    )

    @Option(help: "Architecture, with a shipped checkpoint for the attack (mlp, cnn, resnet-lite).")
    var model = "cnn"

    @Option(help: "Images per batch.")
    var batchSize = 256

    @Option(help: "Threads to use.")
    var threads = ExecutionContext.availableCores

    @Option(help: "Attack name (see `robust attacks`).")
    var attack = "pgd"

    @Option(help: "Attack steps.")
    var steps = 10

    @Option(help: "Folder of shipped checkpoints.")
    var modelsDir = "models"

    func validate() throws {
        guard batchSize > 0, threads > 0, steps > 0 else {
            throw ValidationError("--batch-size, --threads and --steps must be positive.")
        }
    }

    func run() throws {
        let context = ExecutionContext(threads: threads)
        let cases: [String: () -> Void]
        do {
            let architecture = try ModelBenchSteps(model, batchSize: batchSize, context: context)
            let attackStep = try AttackBenchStep(model: model, attack: attack, steps: steps, batchSize: batchSize,
                                                 context: context, modelsDirectory: modelsDir)
            cases = ["inference": architecture.infer, "train": architecture.train, "attack": attackStep.run]
        } catch let error as ToolError { throw error } catch { throw ToolError.usage("\(error)") }
        for name in cases.keys.sorted() { cases[name]!() }
        print("ready")
        fflush(stdout)
        while let line = readLine(), !line.isEmpty {
            guard let step = cases[line] else {
                throw ToolError.usage("unknown case '\(line)' on standard input; send inference, train or attack, one per line")
            }
            let stopwatch = Stopwatch()
            step()
            print(String(format: "%.6f", stopwatch.seconds))
            fflush(stdout)
        }
    }
}
