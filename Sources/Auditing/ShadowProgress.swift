import Dispatch
import Foundation
import Training
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress of LiRA's shadow training on stderr, over all K models at once, with an ETA: redrawn in place on
/// a terminal (at most 10 times a second), a line per 5 % of the steps (or per 10 s) in a log.
///
/// The ETA assumes the remaining steps go at the average pace since the first one shown; every shadow has the
/// same recipe and training-set size, so they all take the same steps (scoring the audited images after each
/// shadow falls into the measured pace).
public final class ShadowProgress {
    private let shadows: Int
    private let write: (String) -> Void
    private let isTerminal: Bool
    private let now: () -> Double
    /// When the first step was shown and how many steps were done then: the pace is measured from there, so
    /// the data loading and the target's scoring before it do not inflate the ETA.
    private var first: (time: Double, done: Int)?
    private var lastPrint = -Double.infinity
    private var lastTwentieth = -1

    /// Progress written to stderr, redrawn in place when stderr is a terminal.
    public convenience init(shadows: Int) {
        self.init(shadows: shadows, isTerminal: isatty(2) != 0,
                  now: { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) { fputs($0, stderr); fflush(stderr) }
    }

    public init(shadows: Int, isTerminal: Bool, now: @escaping () -> Double, write: @escaping (String) -> Void) {
        (self.shadows, self.isTerminal, self.now, self.write) = (shadows, isTerminal, now, write)
    }

    /// Shows a training event of shadow `index` (0-based).
    public func handle(_ event: TrainEvent, shadow index: Int) {
        guard case .step(let p) = event else { return }
        let stepsPerShadow = p.epochs * p.stepsPerEpoch
        let done = index * stepsPerShadow + p.epoch * p.stepsPerEpoch + p.step + 1
        let total = shadows * stepsPerShadow
        let t = now()
        let start = first ?? (t, done)
        first = start
        let pace = done > start.done ? (t - start.time) / Double(done - start.done) : Double.nan
        let line = Self.format(shadow: index, of: shadows, progress: p, done: done, total: total, secondsPerStep: pace)
        if isTerminal {
            guard t - lastPrint >= 0.1 || done == total else { return }
            write("\r" + line + "\u{1B}[K" + (done == total ? "\n" : ""))
        } else {
            let twentieth = done * 20 / total
            guard twentieth > lastTwentieth || t - lastPrint >= 10 else { return }
            lastTwentieth = twentieth
            write(line + "\n")
        }
        lastPrint = t
    }

    /// e.g. `shadow 3/8  epoch 12/30  loss 0.0123  acc 99.80%  all shadows 34%  ETA 2m10s`.
    /// `secondsPerStep` NaN (not measured yet) shows the ETA as `?`.
    public static func format(shadow: Int, of shadows: Int, progress p: TrainProgress, done: Int, total: Int, secondsPerStep: Double) -> String {
        let eta = secondsPerStep * Double(total - done)
        let percent = Int((100 * Double(done) / Double(total)).rounded(.down))
        return "shadow \(shadow + 1)/\(shadows)  epoch \(p.epoch + 1)/\(p.epochs)  loss \(String(format: "%.4f", p.loss))  "
            + "acc \(String(format: "%.2f", p.accuracy * 100))%  all shadows \(percent)%  ETA \(ProgressBar.duration(eta))"
    }
}
