import Files
import Foundation
import Metrics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Workflow

/// The finished work of a run, appended to `journal.jsonl` in its folder as each batch of an attack
/// at one ε completes, so that `robust eval --resume` continues a killed run where it stopped.
///
/// Line 1 is the configuration's digest; every later line one finished batch (its records, gallery
/// examples and the counts the validity checks need). Each line is written with one `write` and
/// `fsync`ed; a line cut short by a kill is dropped on resume. A batch's results depend only on its
/// samples, so replaying them gives the bytes an uninterrupted run would have written.
final class RunJournal {
    /// One finished batch: `attack` at `eps`, the samples from position `start` of that ε's work list.
    struct Entry: Codable {
        var attack: String
        var eps: Double
        var start: Int
        var records: [SampleRecord]
        var examples: [Example]
        var violations: Int
        var queries: Int
        var gradientSamples: Int
        var zeroGradientSamples: Int
        var nonFiniteLogits: Int
        var nonFiniteGradients: Int
    }

    static let fileName = "journal.jsonl"
    let path: String
    /// Entries read back on resume.
    private var finished: [String: Entry] = [:]
    private let descriptor: Int32
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// Opens the journal of the run in `folder`: on `resume`, reads what an earlier run of the same
    /// `configuration` finished (a journal of another configuration is bad input); otherwise starts afresh.
    init(folder: String, configuration: String, resume: Bool) throws {
        path = (folder as NSString).appendingPathComponent(Self.fileName)
        var kept = Data()
        if resume, let data = FileManager.default.contents(atPath: path), !data.isEmpty {
            let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            guard let header = lines.first, String(decoding: header, as: UTF8.self) == Self.header(configuration) else {
                throw ToolError.badInput("\(path) is the journal of a run with another configuration (model, data, attacks, seed or batch size differ); resume with the original flags, or start afresh without --resume")
            }
            kept = Data(header) + Data("\n".utf8)
            let decoder = JSONDecoder()
            // Every complete line but the last is whole; the last is whole only when followed by a newline.
            for line in lines.dropFirst().dropLast() {
                guard let entry = try? decoder.decode(Entry.self, from: Data(line)) else { break }
                finished[Self.key(entry.attack, entry.eps, entry.start)] = entry
                kept += Data(line) + Data("\n".utf8)
            }
        } else {
            kept = Data((Self.header(configuration) + "\n").utf8)
        }
        // Rewrite what is kept (drops a torn last line), then append from there.
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try writeAtomically(kept, to: path)
        } catch {
            throw ToolError.badInput("cannot write \(path): \(error.localizedDescription); pick another --out")
        }
        descriptor = open(path, O_WRONLY | O_APPEND)
        guard descriptor >= 0 else { throw ToolError.badInput("cannot open \(path) for appending; pick another --out") }
    }

    deinit { close(descriptor) }

    /// Batches read back from an earlier run.
    var resumedCount: Int { finished.count }

    func entry(attack: String, eps: Double, start: Int) -> Entry? {
        finished[Self.key(attack, eps, start)]
    }

    /// Appends one finished batch durably (one write, then fsync).
    func append(_ entry: Entry) {
        guard var line = try? encoder.encode(entry) else { return }
        line.append(UInt8(ascii: "\n"))
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written == line.count { fsync(descriptor) }
    }

    private static func header(_ configuration: String) -> String { "{\"robust_journal\":1,\"configuration\":\"\(configuration)\"}" }
    private static func key(_ attack: String, _ eps: Double, _ start: Int) -> String { "\(attack)|\(eps.bitPattern)|\(start)" }
}
