import Harness
import XCTest

/// The progress bar's throttling (terminal and log modes) and its number formatting.
final class ProgressTests: XCTestCase {
    func progress(epoch: Int, step: Int) -> TrainProgress {
        TrainProgress(epoch: epoch, epochs: 2, step: step, stepsPerEpoch: 100, loss: 0.5, accuracy: 0.875,
                      imagesPerSecond: 1234.4, learningRate: 0.1)
    }

    func epochReport() -> EpochReport {
        EpochReport(epoch: 0, trainLoss: 0.41234, trainAccuracy: 0.852, evalLoss: 0.45, evalAccuracy: 0.84,
                    learningRate: 0.1, imagesPerSecond: 1234, trainSeconds: 12, evalSeconds: 0.3)
    }

    func testLogModePrintsAboutEveryTenPercent() {
        var output: [String] = []
        var clock = 0.0
        let bar = ProgressBar(isTerminal: false, now: { clock }) { output.append($0) }
        for step in 0..<100 {
            clock += 0.01
            bar.handle(.step(progress(epoch: 0, step: step)))
        }
        bar.handle(.epoch(epochReport()))
        // First step, then each tenth (10, 20, ... 100 %), then the summary.
        XCTAssertEqual(output.count, 12)
        XCTAssertTrue(output.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
        XCTAssertEqual(output.last, "epoch 1 done  train loss 0.4123 acc 85.20%  eval loss 0.4500 acc 84.00%  1234 img/s  12.3s\n")
    }

    func testLogModeAlsoPrintsEveryFiveSeconds() {
        var output: [String] = []
        var clock = 0.0
        let bar = ProgressBar(isTerminal: false, now: { clock }) { output.append($0) }
        for step in 0..<5 {
            clock += 6
            bar.handle(.step(progress(epoch: 0, step: step)))
        }
        XCTAssertEqual(output.count, 5)
    }

    func testTerminalModeRedrawsInPlaceAtMostTenTimesASecond() {
        var output: [String] = []
        var clock = 0.0
        let bar = ProgressBar(isTerminal: true, now: { clock }) { output.append($0) }
        for step in 0..<100 {
            clock += 0.01
            bar.handle(.step(progress(epoch: 0, step: step)))
        }
        bar.handle(.epoch(epochReport()))
        XCTAssertTrue(output.dropLast(2).allSatisfy { $0.hasPrefix("\r") })
        XCTAssertLessThanOrEqual(output.count, 14)   // ~10 redraws in 1 s, the last step, newline, summary
        XCTAssertEqual(output[output.count - 2], "\n")
    }

    func testLineFormat() {
        // 50 of 200 steps done in 10 s: 150 left at 0.2 s each -> 30 s.
        XCTAssertEqual(ProgressBar.format(progress(epoch: 0, step: 49), elapsed: 10),
                       "epoch 1/2  step 50/100  loss 0.5000  acc 87.50%  1234 img/s  ETA 30s")
    }

    func testNumberAndDurationFormatting() {
        // ETA = 3 * elapsed at step 50 of 200; decimals are rounded, not truncated.
        var p = progress(epoch: 0, step: 49)
        p.loss = 3.14159
        p.accuracy = 0.99999
        XCTAssertEqual(ProgressBar.format(p, elapsed: 187.0 / 3),
                       "epoch 1/2  step 50/100  loss 3.1416  acc 100.00%  1234 img/s  ETA 3m07s")
        p.loss = -2.5
        XCTAssertEqual(ProgressBar.format(p, elapsed: 1240),
                       "epoch 1/2  step 50/100  loss -2.5000  acc 100.00%  1234 img/s  ETA 1h02m")
    }
}
