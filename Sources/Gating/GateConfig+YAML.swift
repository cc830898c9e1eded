import Foundation
import Workflow
import Yams

/// Reading a gate file (`--config gate.yaml`):
///
/// ```yaml
/// require:                 # a list, or one string
///   - clean>=0.90
///   - worst@8/255>=0.40
/// baseline: reports/baseline/results.json
/// max_drop: 0.02           # or 2%
/// wilson: false
/// fail_on: fail            # warn | fail | never
/// ```
///
/// The file is configuration, like flags: a key it does not know, a wrong type or a bad value is
/// a usage error (exit 2) naming the file and key; only a file that cannot be read is bad input (exit 3).
extension GateConfig {
    /// The keys a gate file may have.
    public static let yamlKeys = ["require", "baseline", "max_drop", "wilson", "fail_on"]

    /// Reads and parses a gate file.
    public static func load(path: String) throws -> GateConfig {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ToolError.badInput("cannot read gate config \(path): no such file or not UTF-8 text")
        }
        return try parse(yaml: text, source: path)
    }

    /// Parses a gate file's text; `source` names it in errors.
    public static func parse(yaml: String, source: String) throws -> GateConfig {
        func bad(_ why: String) -> ToolError { ToolError.usage("gate config \(source): \(why)") }
        if let problem = yamlNestingProblem(yaml) { throw bad("the file \(problem); a gate file is a few levels deep") }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw bad("not valid YAML (\(firstLine(of: error)))")
        }
        guard let root else { return GateConfig() }   // an empty file asks for nothing
        guard let mapping = root.mapping else {
            throw bad("expected a mapping with keys \(yamlKeys.joined(separator: ", "))")
        }
        var config = GateConfig()
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? "\(keyNode)"
            func scalar() throws -> String {
                guard let text = value.scalar?.string else { throw bad("\(key) must be a single value") }
                return text
            }
            switch key {
            case "require":
                let texts: [String]
                if let list = value.sequence {
                    texts = try list.map { item in
                        guard let text = item.scalar?.string else { throw bad("require must list strings like clean>=0.90") }
                        return text
                    }
                } else {
                    texts = [try scalar()]
                }
                config.requirements = try texts.map { text in
                    do {
                        return try GateRequirement.parse(text)
                    } catch let error as ToolError {
                        throw bad(error.description)
                    }
                }
            case "baseline":
                config.baseline = try scalar()
            case "max_drop":
                config.maxDrop = try parseMaxDrop(try scalar(), source: "gate config \(source): max_drop")
            case "wilson":
                guard let flag = value.bool else { throw bad("wilson must be true or false") }
                config.wilson = flag
            case "fail_on":
                config.failOn = try GateFailOn.parse(try scalar(), source: "gate config \(source): fail_on")
            default:
                throw bad("unknown key '\(key)'; known keys: \(yamlKeys.joined(separator: ", "))")
            }
        }
        return config
    }
}
