import Attacks
import Foundation
import Metrics
import Workflow
import Yams

/// An attack suite read from YAML (`attacks/*.yaml`): a name, a default norm and epsilon grid,
/// and a list of attacks with their parameters. The registry stays the one place that knows
/// how an attack works; a suite only chooses attacks and settings.
///
/// ```yaml
/// name: quick
/// norm: linf
/// eps: [0, 0.05, 0.1, 0.2]      # or "0:0.3:0.05", or fractions like 8/255
/// attacks:
///   - attack: fgsm
///   - attack: pgd
///     steps: 20
///     restarts: 2
/// ```
public struct Suite: Sendable {
    public var name: String
    public var description: String
    public var attacks: [AttackSpec]

    /// Reads and validates a suite file. Unknown keys, unknown attacks and bad values are errors
    /// naming the file and the entry (bad input: exit 3).
    public static func load(path: String) throws -> Suite {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ToolError.badInput("cannot read suite \(path): no such file; suites live in attacks/ (e.g. attacks/quick.yaml)")
        }
        return try parse(yaml: text, source: path)
    }

    /// Parses a suite's text; `source` names it in errors and gives the suite its default name.
    public static func parse(yaml text: String, source path: String) throws -> Suite {
        if let problem = yamlNestingProblem(text) {
            throw ToolError.badInput("suite \(path) is not valid: it \(problem); see attacks/README.md for the format")
        }
        let raw: SuiteFile
        do {
            raw = try YAMLDecoder().decode(SuiteFile.self, from: text)
        } catch {
            throw ToolError.badInput("suite \(path) is not valid: \(describe(error)); see attacks/README.md for the format")
        }
        do {
            return try raw.resolve(name: raw.name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
        } catch let error as SuiteError {
            throw ToolError.badInput("suite \(path): \(error.message)")
        }
    }

    private static func describe(_ error: Error) -> String {
        if case DecodingError.keyNotFound(let key, let context) = error {
            return "missing key '\(key.stringValue)' at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        }
        if case DecodingError.typeMismatch(_, let context) = error {
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        }
        if case DecodingError.dataCorrupted(let context) = error { return context.debugDescription }
        return firstLine(of: error)
    }
}

struct SuiteError: Error { let message: String }

/// A value written as a number or as text (`8/255`, `0:0.3:0.05`).
struct EpsilonText: Decodable {
    let text: String
    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Double.self) { text = "\(value)" } else { text = try container.decode(String.self) }
    }
}

/// A whole number written in decimal. Decoded from the scalar's text, not by Yams's `Int` decoding, which
/// also reads YAML 1.1 base-60 numbers (`20:30`) and traps on overflow there (`20::::2:::...`, found by
/// `make fuzz`).
struct WholeNumber: Decodable {
    let value: Int
    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self).trimmingCharacters(in: .whitespaces)
        guard let value = Int(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a whole number")
        }
        self.value = value
    }
}

/// Epsilons as a list or as one grid string.
struct EpsilonGrid: Decodable {
    let text: String
    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let list = try? container.decode([EpsilonText].self) { text = list.map(\.text).joined(separator: ",") } else {
            text = try container.decode(EpsilonText.self).text
        }
    }
}

/// The YAML shape of a suite; unknown keys are rejected so typos do not silently fall back to defaults.
struct SuiteFile: Decodable {
    var name: String?
    var description: String?
    var norm: String?
    var eps: EpsilonGrid?
    var attacks: [Entry]

    enum CodingKeys: String, CodingKey, CaseIterable { case name, description, norm, eps, attacks }

    struct Entry: Decodable {
        var attack: String
        var id: String?
        var norm: String?
        var eps: EpsilonGrid?
        var steps: Int?
        var stepSize: EpsilonText?
        var restarts: Int?
        var randomStart: Bool?
        var momentum: Double?
        var queries: Int?
        var pInit: Double?
        var targetClasses: Int?
        var draws: Int?
        var target: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case attack, id, norm, eps, steps, restarts, momentum, queries, draws, target
            case stepSize = "step_size", randomStart = "random_start", pInit = "p_init", targetClasses = "target_classes"
        }

        init(from decoder: Decoder) throws {
            try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            attack = try c.decode(String.self, forKey: .attack)
            id = try c.decodeIfPresent(String.self, forKey: .id)
            norm = try c.decodeIfPresent(String.self, forKey: .norm)
            eps = try c.decodeIfPresent(EpsilonGrid.self, forKey: .eps)
            steps = try c.decodeIfPresent(WholeNumber.self, forKey: .steps)?.value
            stepSize = try c.decodeIfPresent(EpsilonText.self, forKey: .stepSize)
            restarts = try c.decodeIfPresent(WholeNumber.self, forKey: .restarts)?.value
            randomStart = try c.decodeIfPresent(Bool.self, forKey: .randomStart)
            momentum = try c.decodeIfPresent(Double.self, forKey: .momentum)
            queries = try c.decodeIfPresent(WholeNumber.self, forKey: .queries)?.value
            pInit = try c.decodeIfPresent(Double.self, forKey: .pInit)
            targetClasses = try c.decodeIfPresent(WholeNumber.self, forKey: .targetClasses)?.value
            draws = try c.decodeIfPresent(WholeNumber.self, forKey: .draws)?.value
            target = try c.decodeIfPresent(String.self, forKey: .target)
        }
    }

    init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        norm = try c.decodeIfPresent(String.self, forKey: .norm)
        eps = try c.decodeIfPresent(EpsilonGrid.self, forKey: .eps)
        attacks = try c.decode([Entry].self, forKey: .attacks)
    }

    func resolve(name: String) throws -> Suite {
        guard !attacks.isEmpty else { throw SuiteError(message: "lists no attacks") }
        var specs: [AttackSpec] = []
        for (position, entry) in attacks.enumerated() {
            let at = "attack #\(position + 1) (\(entry.attack))"
            guard AttackRegistry.named(entry.attack) != nil else {
                throw SuiteError(message: "\(at): unknown attack; known attacks: \(AttackRegistry.names.joined(separator: ", "))")
            }
            let normText = entry.norm ?? norm
            var normValue: Norm?
            if let normText {
                guard let parsed = Norm(rawValue: normText) else { throw SuiteError(message: "\(at): norm must be linf or l2 (got '\(normText)')") }
                normValue = parsed
            }
            guard let grid = entry.eps ?? eps else { throw SuiteError(message: "\(at): no eps (give one per attack or for the suite)") }
            let epsilons: [Double]
            do { epsilons = try Epsilon.parseGrid(grid.text, maximum: normValue == .l2 ? 1000 : 1) } catch let error as EpsilonError {
                throw SuiteError(message: "\(at): \(error.description)")
            }
            var target = TargetMode.none
            if let text = entry.target {
                guard let parsed = TargetMode(text) else { throw SuiteError(message: "\(at): target must be none, random, least-likely or a class index") }
                target = parsed
            }
            var stepSize: Double?
            if let text = entry.stepSize {
                guard let value = Epsilon.parse(text.text), value > 0 else { throw SuiteError(message: "\(at): step_size must be a positive number") }
                stepSize = value
            }
            let options = AttackOptions(norm: normValue, steps: entry.steps, stepSize: stepSize, restarts: entry.restarts,
                                        randomStart: entry.randomStart, momentum: entry.momentum, queries: entry.queries,
                                        pInit: entry.pInit, targetClasses: entry.targetClasses, draws: entry.draws, target: target)
            do { _ = try AttackRegistry.make(entry.attack, options: options) } catch let error as AttackError {
                throw SuiteError(message: "\(at): \(error.description)")
            }
            specs.append(AttackSpec(id: entry.id ?? entry.attack, attack: entry.attack, options: options, epsilons: epsilons))
        }
        return Suite(name: name, description: description ?? "", attacks: uniqueIDs(specs))
    }
}

/// Gives repeated ids a suffix (`pgd`, `pgd-2`) so every attack's rows stay apart.
public func uniqueIDs(_ specs: [AttackSpec]) -> [AttackSpec] {
    var seen: [String: Int] = [:]
    return specs.map { spec in
        var spec = spec
        let count = seen[spec.id, default: 0] + 1
        seen[spec.id] = count
        if count > 1 { spec.id += "-\(count)" }
        return spec
    }
}

/// Throws a decoding error naming the first key that is not in `known`.
private func rejectUnknownKeys(_ decoder: Decoder, known: [String]) throws {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    let container = try decoder.container(keyedBy: AnyKey.self)
    for key in container.allKeys where !known.contains(key.stringValue) {
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [key],
                                                debugDescription: "unknown key '\(key.stringValue)' (known: \(known.joined(separator: ", ")))"))
    }
}
