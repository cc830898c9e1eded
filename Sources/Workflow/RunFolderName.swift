import Foundation

/// Local time as `yyyyMMdd-HHmmss`: the suffix of every default output folder, so runs sort by time.
public func runTimestamp(_ date: Date = Date()) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    return formatter.string(from: date)
}

/// `reports/<model file name>-<what>-<timestamp>`: where a command writes when `--out` is not given.
public func defaultRunFolder(model: String, what: String) -> String {
    let modelName = URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent
    return "reports/\(modelName)-\(what)-\(runTimestamp())"
}
