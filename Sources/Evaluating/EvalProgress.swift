import Foundation

/// Progress of an evaluation on stderr: attack, epsilon, samples done, elapsed time and an ETA
/// from the fraction of (attack, epsilon) steps done. Redraws one line on a terminal, prints
/// a line per epsilon otherwise (CI logs).
public final class EvalProgress {
    private let totalSteps: Int
    private var stepsDone = 0
    private var current: (attack: String, eps: Double)?
    private let started = Date()
    private let isTerminal: Bool
    private let write: (String) -> Void

    /// `totalSteps`: the number of (attack, epsilon) pairs the run will evaluate.
    public init(totalSteps: Int, isTerminal: Bool = isatty(STDERR_FILENO) != 0,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.totalSteps = max(1, totalSteps)
        self.isTerminal = isTerminal
        self.write = write
    }

    /// Called after each batch.
    func advance(attack: String, eps: Double, done: Int, of total: Int) {
        if current.map({ $0.attack != attack || $0.eps != eps }) ?? true {
            if current != nil { stepsDone += 1 }
            current = (attack, eps)
        }
        let fraction = min(1, (Double(stepsDone) + Double(done) / Double(max(1, total))) / Double(totalSteps))
        let elapsed = Date().timeIntervalSince(started)
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        let line = String(format: "%@ eps=%g: %d/%d attacked  [%3.0f%%, %.0f s, ETA %.0f s]", attack, eps, done, total, 100 * fraction, elapsed, eta)
        if isTerminal { write("\r\u{1B}[K" + line) } else if done == total { write(line + "\n") }
    }

    /// Ends the progress line.
    func finish() {
        if isTerminal { write("\r\u{1B}[K") }
    }
}
