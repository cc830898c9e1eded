/// The shape of one input image, `[C, H, W]`: what every architecture is sized from.
public struct InputShape: Codable, Equatable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        (self.channels, self.height, self.width) = (channels, height, width)
    }

    /// Fashion-MNIST and MNIST: one 28x28 grey channel.
    public static let fashionMNIST = InputShape(channels: 1, height: 28, width: 28)

    /// `C * H * W`, the length of a flattened image.
    public var count: Int { channels * height * width }

    /// `CxHxW`, e.g. `1x28x28`.
    public var description: String { "\(channels)x\(height)x\(width)" }
}
