/// The per-channel normalisation `(x - mean[c]) / std[c]` a model applies first, stored in its card.
///
/// Part of the model, not of the data pipeline, so attacks work in pixel space [0, 1].
public struct Preprocessing: Codable, Equatable, Sendable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        (self.mean, self.std) = (mean, std)
    }

    /// The constants for a dataset: Fashion-MNIST's pixel mean 0.2860 and std 0.3530 over the
    /// training set; 0.5/0.5 per channel (pixels mapped to [-1, 1]) for any other dataset.
    public static func standard(dataset: String, channels: Int) -> Preprocessing {
        switch dataset {
        case "fashion-mnist": return Preprocessing(mean: [Float](repeating: 0.2860, count: channels), std: [Float](repeating: 0.3530, count: channels))
        default: return Preprocessing(mean: [Float](repeating: 0.5, count: channels), std: [Float](repeating: 0.5, count: channels))
        }
    }

    /// Why these constants cannot serve an input with `channels` channels, or nil when they can.
    func problem(channels: Int) -> String? {
        guard mean.count == channels, std.count == channels else {
            return "preprocessing has \(mean.count) means and \(std.count) stds for \(channels) input channels"
        }
        guard std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
            return "preprocessing std must be positive and finite, got mean \(mean) std \(std)"
        }
        return nil
    }
}
