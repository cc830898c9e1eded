import Metrics

/// The CSV views of a run: `curve.csv` (one row per curve point) and `samples.csv` (one row per
/// sample record), for spreadsheets and pandas. Both are derived from results.json and hold nothing else.
extension RunResults {
    /// `curve.csv`'s header: `CurvePoint`'s fields in order, snake_case as in results.json.
    public static let curveCSVHeader =
        "attack,norm,eps,n,clean_acc,robust_acc,ci_low,ci_high,success_rate,median_norm,max_norm,queries,seconds"

    /// `samples.csv`'s header: `SampleRecord`'s fields in order. `success` is written 0 or 1, so
    /// that a column mean is the success rate.
    public static let samplesCSVHeader = "index,label,attack,norm,eps,clean_pred,adv_pred,success,linf,l2"

    /// The curve, worst-case points included, in results.json's order.
    public func curveCSV() -> String {
        var text = Self.curveCSVHeader + "\n"
        for p in curve {
            text += CSV.row([CSV.field(p.attack), CSV.field(p.norm), CSV.number(p.eps), String(p.n),
                             CSV.number(p.cleanAcc), CSV.number(p.robustAcc), CSV.number(p.ciLow), CSV.number(p.ciHigh),
                             CSV.number(p.successRate), CSV.number(p.medianNorm), CSV.number(p.maxNorm),
                             String(p.queries), CSV.number(p.seconds)])
        }
        return text
    }

    /// Every sample record, in results.json's order.
    public func samplesCSV() -> String {
        var text = Self.samplesCSVHeader + "\n"
        for s in samples {
            text += CSV.row([String(s.index), String(s.label), CSV.field(s.attack), CSV.field(s.norm), CSV.number(s.eps),
                             String(s.cleanPred), String(s.advPred), s.success ? "1" : "0",
                             CSV.number(s.linf), CSV.number(s.l2)])
        }
        return text
    }
}
