import ArgumentParser
import Foundation
import Harness

/// `robust report`: re-renders a run's HTML report and CSV files from its results.json, or
/// compares several runs on one page.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render the HTML report and CSV files of a run, or one page comparing several runs.",
        discussion: """
        Reports are rendered from results.json alone, so they can be re-made at any time, on any \
        machine, without the model or the data.

        With one RUN (a run folder written by `robust eval`, or its results.json), writes \
        index.html, curve.csv and samples.csv into that folder, or into --out. With several, \
        writes one index.html into --out (default reports/compare-<yyyyMMdd-HHmmss>/) with their \
        curves overlaid and a summary per run. Folders written by `robust privacy` may be given too: the \
        page then shows what each model leaks (membership-inference AUC, TPR at low FPR, the DP claim and its \
        audit, the ROCs on log-log axes) beside how robust it is. Prints the path of the index.html written.

        The page is self-contained (inline SVG plots, PNG images as data URIs, no scripts, no \
        network): open it in a browser, attach it to a CI run, or mail it.

        Examples:
          robust report reports/cnn-fmnist-20250101-120000
          robust report reports/cnn-fmnist-20250101-120000 --eps 8/255
          robust report reports/standard reports/adversarial --out reports/std-vs-adv
          robust report reports/cnn reports/cnn-dp reports/cnn-privacy reports/cnn-dp-privacy --out reports/dp
        """
    )

    @Argument(help: "Run folders or results.json files (and, for a comparison, folders written by `robust privacy`).")
    var runs: [String]

    @Option(help: "Output folder (default: the run's own folder; for several runs reports/compare-<timestamp>).")
    var out: String?

    @Option(help: ArgumentHelp("Epsilon for the per-class chart and summary figures, e.g. 0.1 or 8/255; the closest ε of each norm's grid is used.",
                               valueName: "E"))
    var eps: String?

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run folder or results.json") }
        if let eps, Epsilon.parse(eps) == nil {
            throw ValidationError("--eps '\(eps)' is not a number or a fraction like 8/255")
        }
    }

    func run() throws {
        // A folder written by `robust privacy` (privacy.json, no results.json) joins the comparison's privacy section.
        let isPrivacy = { (run: String) in
            !FileManager.default.fileExists(atPath: RunResults.resultsPath(for: run))
                && FileManager.default.fileExists(atPath: PrivacyResults.path(for: run))
        }
        let privacy = try runs.filter(isPrivacy).map { run -> PrivacyResults in
            do { return try PrivacyResults.load(path: PrivacyResults.path(for: run)) } catch let error as ResultsError {
                throw ToolError.badInput(error.description)
            }
        }
        let results = try runs.filter { !isPrivacy($0) }.map { run -> RunResults in
            do {
                return try RunResults.load(path: RunResults.resultsPath(for: run))
            } catch let error as ResultsError {
                throw ToolError.badInput(error.description)
            }
        }
        guard !results.isEmpty else {
            throw ToolError.usage("give at least one evaluation run (a folder with results.json) besides privacy runs; `robust privacy` writes its own page")
        }
        let epsilon = eps.flatMap(Epsilon.parse)
        let directory: String
        if results.count == 1 && privacy.isEmpty {
            directory = out ?? parentDirectory(of: RunResults.resultsPath(for: runs[0]))
        } else {
            directory = out ?? "reports/compare-" + runTimestamp()
        }
        let folder = directory.isEmpty ? "." : directory
        do {
            if results.count == 1 && privacy.isEmpty {
                try writeRunReport(results[0], to: folder, perClassEps: epsilon)
            } else {
                try writeComparisonReport(results, privacy: privacy, to: folder, eps: epsilon)
            }
        } catch {
            throw ToolError.badInput("cannot write the report to \(folder): \(error.localizedDescription); check the folder is writable")
        }
        print((folder as NSString).appendingPathComponent("index.html"))
    }
}
