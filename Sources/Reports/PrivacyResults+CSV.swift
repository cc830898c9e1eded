/// `roc.csv`: every attack's (thinned) ROC, one row per point, long format so any plotting tool takes it.
extension PrivacyResults {
    public func rocCSV() -> String {
        var out = CSV.row(["attack", "fpr", "tpr", "true_positives", "false_positives", "members", "non_members"])
        for attack in attacks {
            for point in attack.roc {
                out += CSV.row([CSV.field(attack.name), CSV.number(point.fpr), CSV.number(point.tpr), "\(point.truePositives)",
                                "\(point.falsePositives)", "\(members.count)", "\(nonMembers.count)"])
            }
        }
        return out
    }
}
