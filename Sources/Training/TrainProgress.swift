import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a training run stands after one step: what a progress display shows.
public struct TrainProgress: Equatable, Sendable {
    /// Epoch number, from 0.
    public var epoch: Int
    /// Epochs in the run.
    public var epochs: Int
    /// Step just finished within the epoch, from 0.
    public var step: Int
    /// Steps per epoch.
    public var stepsPerEpoch: Int
    /// Running mean training loss of the epoch so far.
    public var loss: Double
    /// Running training accuracy of the epoch so far.
    public var accuracy: Double
    /// Training throughput of the epoch so far.
    public var imagesPerSecond: Double
    /// Learning rate of the step.
    public var learningRate: Float

    /// A progress value with every field given.
    public init(epoch: Int, epochs: Int, step: Int, stepsPerEpoch: Int, loss: Double, accuracy: Double,
                imagesPerSecond: Double, learningRate: Float) {
        self.epoch = epoch
        self.epochs = epochs
        self.step = step
        self.stepsPerEpoch = stepsPerEpoch
        self.loss = loss
        self.accuracy = accuracy
        self.imagesPerSecond = imagesPerSecond
        self.learningRate = learningRate
    }
}

/// What `train` reports as it goes: after every step, and after every epoch with its evaluation.
public enum TrainEvent: Sendable {
    /// A step finished.
    case step(TrainProgress)
    /// An epoch finished, held-out evaluation included.
    case epoch(EpochReport)
}

/// A training progress bar on stderr: redrawn in place on a terminal, a line now and then in a log.
///
/// On a TTY the line is redrawn with `\r` at most ten times a second. Elsewhere (CI logs, a file)
/// redrawing would leave hundreds of partial lines, so it prints a full line each time another
/// 10 % of the epoch is done or 5 s have passed, whichever comes first. Each epoch ends with a
/// summary line. Pass `handle` as `train`'s `progress`.
public final class ProgressBar {
    private let write: (String) -> Void
    private let isTerminal: Bool
    private let now: () -> Double
    private let start: Double
    private var lastPrint = -Double.infinity
    private var lastDecile = -1
    private var drawn = false

    /// A bar writing to stderr, redrawing in place when stderr is a terminal.
    public convenience init() {
        self.init(isTerminal: isatty(2) != 0, now: { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) { text in
            fputs(text, stderr)
            fflush(stderr)
        }
    }

    /// A bar with an explicit sink, terminal flag and clock (seconds), for tests and other outputs.
    public init(isTerminal: Bool, now: @escaping () -> Double, write: @escaping (String) -> Void) {
        self.write = write
        self.isTerminal = isTerminal
        self.now = now
        start = now()
    }

    /// Shows one training event.
    public func handle(_ event: TrainEvent) {
        switch event {
        case .step(let p): show(p)
        case .epoch(let e): finish(e)
        }
    }

    private func show(_ p: TrainProgress) {
        let t = now()
        let line = Self.format(p, elapsed: t - start)
        if isTerminal {
            guard t - lastPrint >= 0.1 || p.step + 1 == p.stepsPerEpoch else { return }
            write("\r" + line + "\u{1B}[K")
            drawn = true
        } else {
            let decile = (p.step + 1) * 10 / p.stepsPerEpoch
            guard decile > lastDecile || t - lastPrint >= 5 else { return }
            lastDecile = decile
            write(line + "\n")
        }
        lastPrint = t
    }

    private func finish(_ e: EpochReport) {
        if drawn { write("\n") }
        drawn = false
        lastDecile = -1
        lastPrint = -Double.infinity
        write(Self.summary(e) + "\n")
    }

    /// One progress line, e.g. `epoch 2/10  step 120/469  loss 0.4123  acc 85.20%  1234 img/s  ETA 1m05s`.
    ///
    /// The ETA assumes the remaining steps of the run go at the average pace so far
    /// (evaluation included), which is close enough after the first epoch.
    public static func format(_ p: TrainProgress, elapsed: Double) -> String {
        let done = p.epoch * p.stepsPerEpoch + p.step + 1
        let total = p.epochs * p.stepsPerEpoch
        let eta = elapsed / Double(done) * Double(total - done)
        return "epoch \(p.epoch + 1)/\(p.epochs)  step \(p.step + 1)/\(p.stepsPerEpoch)  "
            + "loss \(fixed(p.loss, 4))  acc \(fixed(p.accuracy * 100, 2))%  "
            + "\(Int(p.imagesPerSecond.rounded())) img/s  ETA \(duration(eta))"
    }

    /// One end-of-epoch line, e.g. `epoch 2/10 done  train loss 0.4123 acc 85.20%  eval loss 0.4500 acc 84.00%  1234 img/s  12.3s`.
    public static func summary(_ e: EpochReport) -> String {
        var line = "epoch \(e.epoch + 1) done  train loss \(fixed(e.trainLoss, 4)) acc \(fixed(e.trainAccuracy * 100, 2))%"
        if let loss = e.evalLoss, let accuracy = e.evalAccuracy {
            line += "  eval loss \(fixed(loss, 4)) acc \(fixed(accuracy * 100, 2))%"
        }
        if let robust = e.evalRobustAccuracy { line += "  PGD-10 acc \(fixed(robust * 100, 2))%" }
        if let certified = e.evalCertifiedAccuracy { line += "  IBP-certified \(fixed(certified * 100, 2))%" }
        if let epsilon = e.dpEpsilon, let delta = e.dpDelta { line += "  DP ε \(fixed(epsilon, 2)) (δ \(scientific(delta)))" }
        return line + "  \(Int(e.imagesPerSecond.rounded())) img/s  \(fixed(e.trainSeconds + e.evalSeconds, 1))s"
    }

    /// `x` with exactly `digits` decimals, without Foundation's `String(format:)`.
    static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return "\(x)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((abs(x) * scale).rounded())
        let whole = scaled / Int(scale), fraction = scaled % Int(scale)
        var text = String(fraction)
        while text.count < digits { text = "0" + text }
        return (x < 0 && scaled != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + text : "")
    }

    /// A small positive number as `1e-5` or `2.5e-6` (no trailing zeros, no zero-padded exponent).
    public static func scientific(_ x: Double) -> String {
        guard x > 0, x.isFinite else { return "\(x)" }
        var exponent = Int(log10(x).rounded(.down))
        var mantissa = x / pow(10, Double(exponent))
        if mantissa >= 9.9995 { (mantissa, exponent) = (mantissa / 10, exponent + 1) }
        var text = fixed(mantissa, 3)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return exponent == 0 ? text : text + "e" + String(exponent)
    }

    /// Seconds as `42s`, `3m07s` or `1h02m` (every progress line's ETA).
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" + (s % 60 < 10 ? "0" : "") + "\(s % 60)s" }
        return "\(s / 3600)h" + (s / 60 % 60 < 10 ? "0" : "") + "\(s / 60 % 60)m"
    }
}
