/// The verdict as JUnit XML (`--junit FILE`), which GitHub test reporters and GitLab's
/// `artifacts: reports: junit:` render as a test list: one `<testcase>` per requirement, baseline
/// comparison and validity check, a `<failure>` in each that failed.
extension GateVerdict {
    public func junitXML() -> String {
        let failed = failures.count
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"robust\" tests=\"\(cases.count)\" failures=\"\(failed)\" errors=\"0\">\n"
        xml += "  <testsuite name=\"robust gate\" tests=\"\(cases.count)\" failures=\"\(failed)\" errors=\"0\" skipped=\"0\">\n"
        xml += "    <properties>\n"
        var properties = [("run", run), ("model", modelName), ("model_sha256", modelSHA256)]
        if let baseline { properties.append(("baseline", baseline)) }
        for (name, value) in properties {
            xml += "      <property name=\"\(xmlEscaped(name))\" value=\"\(xmlEscaped(value))\"/>\n"
        }
        xml += "    </properties>\n"
        for test in cases {
            xml += "    <testcase classname=\"\(xmlEscaped(test.kind.classname))\" name=\"\(xmlEscaped(test.displayName))\">\n"
            if !test.passed {
                xml += "      <failure message=\"\(xmlEscaped(test.message))\" type=\"\(test.kind.rawValue)\">"
                    + "measured \(xmlEscaped(test.measuredText)), required \(xmlEscaped(test.requiredText))</failure>\n"
            }
            xml += "      <system-out>measured \(xmlEscaped(test.measuredText)), required \(xmlEscaped(test.requiredText))"
                + (test.warning ? "\nwarning: \(xmlEscaped(test.message))" : "") + "</system-out>\n"
            xml += "    </testcase>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }
}

/// Text escaped for XML content and attribute values. Characters XML 1.0 forbids (most control
/// characters) are dropped; line breaks and tabs are kept as character references so attribute
/// values keep them too.
func xmlEscaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case "\n": out += "&#10;"
        case "\r": out += "&#13;"
        case "\t": out += "&#9;"
        default:
            if scalar.value >= 0x20, scalar.value != 0xFFFE, scalar.value != 0xFFFF { out.unicodeScalars.append(scalar) }
        }
    }
    return out
}
