import ArgumentParser
import Foundation
import Harness

/// `robust bench`: throughput of the compute core, for BENCHMARKS.md.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure kernel throughput (GFLOP/s, median of repeated runs after a warm-up).",
        discussion: """
        Timing belongs here, never in tests. Quote medians, and run the reference (scripts/bench_numpy.py) \
        in the same session: these machines are noisy.
        """,
        subcommands: [BenchGEMM.self, BenchConv.self, BenchModel.self, BenchFusion.self, BenchAttack.self, BenchPaced.self, BenchPeak.self]
    )
}

/// Options every benchmark takes.
struct BenchOptions: ParsableArguments {
    @Option(help: "Threads to use (comma-separated list to compare, e.g. 1,2).")
    var threads: String = "\(ExecutionContext.availableCores)"

    @Option(help: "Timed runs per case (the median is reported; at least 5).")
    var runs: Int = 7

    @Flag(help: "Print one JSON object per line instead of a table.")
    var json = false

    func validate() throws {
        guard runs >= 5 else { throw ValidationError("--runs must be at least 5 (got \(runs)): a median needs repeats.") }
        guard !threadCounts.isEmpty else {
            throw ValidationError("--threads must be positive integers separated by commas (got '\(threads)').")
        }
    }

    var threadCounts: [Int] {
        let parts = threads.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return [] }
        return parts.compactMap { $0 }
    }
}

/// Prints a result as one JSON line.
func printJSONLine<T: Encodable>(_ value: T) {
    print(jsonLine(value))
}

/// A result as one JSON line, keys sorted. A non-finite figure (a time ratio over a zero-length run) is
/// written as the string "inf" or "nan" rather than losing the whole line.
func jsonLine<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else { return "{}" }
    return text
}

struct BenchGEMM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "SGEMM GFLOP/s for shapes MxKxN (optionally :nt, :tn, :tt for transposed operands).",
        discussion: "Example: robust bench gemm --shape 1024x1024x1024 --shape 2048x2048x2048 --threads 1,2 --json"
    )

    @Option(name: .customLong("shape"), help: "MxKxN, repeatable. C is MxN, the inner dimension K.")
    var shapes: [String] = ["1024x1024x1024"]

    @OptionGroup var options: BenchOptions

    @Option(help: ArgumentHelp("Override block sizes MC,KC,NC (for tuning).", valueName: "mc,kc,nc"))
    var blocks: String?

    var gemm: GEMMContext {
        var ctx = GEMMContext.tuned(for: .detected())
        if let parts = blocks?.split(separator: ",").compactMap({ Int($0) }), parts.count == 3 {
            ctx = GEMMContext(kernel: ctx.kernel, mc: parts[0], kc: parts[1], nc: parts[2])
        }
        return ctx
    }

    func validate() throws {
        if let blocks, blocks.split(separator: ",").compactMap({ Int($0) }).filter({ $0 > 0 }).count != 3 {
            throw ValidationError("--blocks must be three positive integers MC,KC,NC (got '\(blocks)').")
        }
        for s in shapes where GEMMShape(parsing: s) == nil {
            throw ValidationError("--shape '\(s)' is not MxKxN with positive integers (e.g. 1024x1024x1024 or 64x288x196:nt).")
        }
    }

    func run() throws {
        if !options.json { print("kernel \(gemm.kernel.name), blocks mc=\(gemm.mc) kc=\(gemm.kc) nc=\(gemm.nc)") }
        for text in shapes {
            let shape = GEMMShape(parsing: text)!
            for t in options.threadCounts {
                let r = benchGEMM(shape, context: ExecutionContext(threads: t, gemm: gemm), runs: options.runs)
                if options.json { printJSONLine(r) } else {
                    print(String(format: "%-22@ threads %d  median %7.1f GFLOP/s  (min %.1f, max %.1f)",
                                 r.shape as NSString, t, r.gflops_median, r.gflops_min, r.gflops_max))
                }
            }
        }
    }
}

struct BenchPeak: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peak",
        abstract: "Measured FP32 peak of one core (register-only FMA loop), the yardstick for GEMM efficiency.",
        discussion: """
        A speed target is physically out of reach when the FLOP rate it needs exceeds what the cores can do: \
        scripts/compare_torch_speed.py reads this (--json) to print each case's share of it.
        """
    )

    @Option(help: "Timed runs (the median is reported).")
    var runs: Int = 7

    @Flag(help: "Print one JSON object instead of text (without AVX-512 it has no peak_gflops_* keys).")
    var json = false

    /// One core's figures, GFLOP/s.
    struct Result: Encodable {
        var kernel: String
        var peak_gflops_median: Double?, peak_gflops_min: Double?, peak_gflops_max: Double?
        var microkernel_gflops_median: Double, microkernel_gflops_min: Double, microkernel_gflops_max: Double
    }

    func run() throws {
        let kernel = MicroKernel.detected()
        let peak = benchPeakGFLOPS(kernel, runs: max(5, runs))
        let k = benchMicroKernelGFLOPS(kernel, runs: max(5, runs))
        if json {
            printJSONLine(Result(kernel: kernel.name, peak_gflops_median: peak?.median, peak_gflops_min: peak?.min,
                                 peak_gflops_max: peak?.max, microkernel_gflops_median: k.median,
                                 microkernel_gflops_min: k.min, microkernel_gflops_max: k.max))
            return
        }
        if let s = peak {
            print(String(format: "peak one core (register-only FMA loop): median %.1f GFLOP/s (min %.1f, max %.1f)", s.median, s.min, s.max))
        } else {
            print("peak: no AVX-512 on this CPU; the FMA probe is written for AVX-512 registers")
        }
        print(String(format: "micro-kernel %@ with panels in L1: median %.1f GFLOP/s (min %.1f, max %.1f)",
                     kernel.name as NSString, k.median, k.min, k.max))
    }
}

struct BenchConv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "Conv2d GFLOP/s: forward, backward to the input, and the weight gradient.",
        discussion: """
        A case is N,C,H,W,O,k,s,p: batch, input channels, height, width, output channels, kernel, stride, padding.
        The default is the zoo CNN's second layer at batch 128. The weight-gradient time is backward with parameter \
        gradients minus backward without (what an attack never pays).
        """
    )

    @Option(name: .customLong("shape"), help: "N,C,H,W,O,k,s,p, repeatable.")
    var shapes: [String] = ["128,32,14,14,64,3,1,1"]

    @OptionGroup var options: BenchOptions

    func validate() throws {
        for s in shapes where ConvShape(parsing: s) == nil {
            throw ValidationError("--shape '\(s)' is not N,C,H,W,O,k,s,p with positive sizes and a window that fits (e.g. 128,32,14,14,64,3,1,1).")
        }
    }

    func run() throws {
        for text in shapes {
            let shape = ConvShape(parsing: text)!
            for t in options.threadCounts {
                let r = benchConv(shape, context: ExecutionContext(threads: t), runs: options.runs)
                if options.json { printJSONLine(r) } else {
                    print(String(format: "conv %@ threads %d  forward %6.1f  backward-input %6.1f  backward-weight %6.1f GFLOP/s (medians); fastest run: forward %.1f, backward-input %.1f",
                                 r.shape as NSString, t, r.forward_gflops_median, r.backward_input_gflops_median,
                                 r.backward_weight_gflops_median, r.forward_gflops_max, r.backward_input_gflops_max))
                }
            }
        }
    }
}

/// Options of the benches that build a zoo architecture: which ones, the batch, and the common ones.
struct ArchitectureBenchOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: "Architecture (mlp, cnn, resnet-lite), repeatable.")
    var models: [String] = ["cnn"]

    @Option(help: "Images per batch.")
    var batchSize = 256

    @OptionGroup var options: BenchOptions

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive (got \(batchSize)).") }
    }

    /// `measure(architecture, context)` for every architecture and thread count, each result printed as a
    /// JSON line or as `line(architecture, threads, result)`; an unknown architecture is a usage error.
    func forEachCase<R: Encodable>(_ measure: (String, ExecutionContext) throws -> R, line: (String, Int, R) -> String) throws {
        for model in models {
            for t in options.threadCounts {
                let r: R
                do { r = try measure(model, ExecutionContext(threads: t)) } catch { throw ToolError.usage("\(error)") }
                print(options.json ? jsonLine(r) : line(model, t, r))
            }
        }
    }
}

struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Images/s of a zoo architecture: inference and training steps (forward, backward, SGD update).",
        discussion: "Example: robust bench model --model cnn --model resnet-lite --batch-size 256 --threads 2"
    )

    @OptionGroup var cases: ArchitectureBenchOptions

    func run() throws {
        try cases.forEachCase({ try benchModel($0, batchSize: cases.batchSize, context: $1, runs: cases.options.runs) }) { model, t, r in
            String(format: "%-12@ batch %d threads %d  inference %8.0f img/s  training %7.0f img/s (medians)",
                   model as NSString, cases.batchSize, t, r.inference_images_per_second, r.train_images_per_second)
        }
    }
}

struct BenchFusion: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fusion",
        abstract: "What fusing each ReLU into the convolution or pool before it buys an attack pass, timed in pairs.",
        discussion: """
        Each pair runs one batch's forward and input gradient through the network with separate ReLU layers \
        and through the fused one, milliseconds apart, so drift of the machine's speed cancels; the speedup is \
        the median of the pairs' time ratios (above 1: the fused one is faster); --json adds the smallest and \
        largest ratio. --runs is the number of pairs.
        Example: robust bench fusion --model resnet-lite --threads 2 --runs 60
        """
    )

    @OptionGroup var cases: ArchitectureBenchOptions

    func run() throws {
        try cases.forEachCase({ try benchFusion($0, batchSize: cases.batchSize, context: $1, pairs: cases.options.runs) }) { model, t, r in
            String(format: "%-12@ batch %d threads %d  attack pass %.3fx (median of %d pairs, fused over separate ReLUs)",
                   model as NSString, cases.batchSize, t, r.attack_pass_speedup.median, r.pairs)
        }
    }
}

struct BenchAttack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack",
        abstract: "Images/s of an attack on a shipped model with fixed work (no pruning: every sample runs every step).",
        discussion: "Example: robust bench attack --model cnn --model resnet-lite --attack pgd --steps 10 --batch-size 256 --threads 2"
    )

    @Option(name: .customLong("model"), help: "Shipped model (cnn, resnet-lite, mlp) or checkpoint path, repeatable.")
    var models: [String] = ["cnn"]

    @Option(help: "Attack name (see `robust attacks`).")
    var attack = "pgd"

    @Option(help: "Attack steps.")
    var steps = 10

    @Option(help: "Images per batch.")
    var batchSize = 256

    @Option(help: "Folder of shipped checkpoints.")
    var modelsDir = "models"

    @OptionGroup var options: BenchOptions

    func validate() throws {
        guard batchSize > 0, steps > 0 else { throw ValidationError("--batch-size and --steps must be positive.") }
    }

    func run() throws {
        for model in models {
            for t in options.threadCounts {
                let r: AttackBenchResult
                do {
                    r = try benchAttack(model: model, attack: attack, steps: steps, batchSize: batchSize, context: ExecutionContext(threads: t),
                                        runs: options.runs, modelsDirectory: modelsDir)
                } catch let error as ToolError { throw error } catch { throw ToolError.usage("\(error)") }
                if options.json { printJSONLine(r) } else {
                    print(String(format: "%-12@ %@-%d batch %d threads %d  %7.0f img/s median (min %.0f, max %.0f), peak RSS %.0f MiB",
                                 model as NSString, attack as NSString, steps, batchSize, t, r.images_per_second_median,
                                 r.images_per_second_min, r.images_per_second_max, r.peak_rss_mib))
                }
            }
        }
    }
}
