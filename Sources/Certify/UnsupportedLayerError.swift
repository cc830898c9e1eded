/// A network holds layers without a bound rule: certification refuses it rather than guess.
///
/// Names every such layer type once, in the order met, in one line (the CLI's one-line rule).
public struct UnsupportedLayerError: Error, CustomStringConvertible, Equatable {
    /// Type names, e.g. `["Sigmoid", "GraphBlock"]`; a BatchNorm2d in training mode is listed as such.
    public let layers: [String]

    public init(layers: [String]) {
        self.layers = layers
    }

    public var description: String {
        "cannot bound \(layers.joined(separator: ", ")): certification supports Linear, Conv2d, Normalize, "
            + "BatchNorm2d (inference), ChannelAffine, ReLU, MaxPool2d, AvgPool2d, GlobalAvgPool2d, Flatten, Reshape, "
            + "Sequential and Residual"
    }
}
