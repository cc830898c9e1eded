import Kernels

/// A ResNet basic block's skeleton: `y = relu(main(x) + shortcut(x))`, shortcut identity or a projection.
///
/// Why a container: the sum needs both branches to see the same x, and backward must send the
/// same gradient into both and add their dX. The shortcut is a projection (1x1 strided conv +
/// BatchNorm, named `downsample` in torchvision) when the main branch changes shape.
public final class Residual: Layer {
    /// The main branch (conv-bn-relu-conv-bn in a basic block).
    public let main: any Layer
    /// The projection shortcut, or nil for identity.
    public let shortcut: (any Layer)?
    private let mainName: String?
    private let shortcutName: String
    /// relu(main + shortcut) from the last forward: its positive entries are the gradient's mask.
    private var output: Tensor?

    public var isTraining = false {
        didSet {
            main.isTraining = isTraining
            shortcut?.isTraining = isTraining
        }
    }

    /// `mainName: nil` lists the main branch's children directly under the block, so a
    /// `Sequential(named: [("conv1", ...), ("bn1", ...), ...])` yields torchvision's `conv1.weight`;
    /// the shortcut is listed under `shortcutName` (torchvision: `downsample`).
    public init(main: any Layer, shortcut: (any Layer)? = nil, mainName: String? = nil, shortcutName: String = "downsample") {
        self.main = main
        self.shortcut = shortcut
        self.mainName = mainName
        self.shortcutName = shortcutName
        main.isTraining = isTraining
        shortcut?.isTraining = isTraining
    }

    /// The same block (names, shortcut name) around other branches: what a network transform rebuilds.
    public func replacingBranches(main: any Layer, shortcut: (any Layer)?) -> Residual {
        Residual(main: main, shortcut: shortcut, mainName: mainName, shortcutName: shortcutName)
    }

    public var ownParameters: [Parameter] { mainName == nil ? main.ownParameters : [] }

    public var children: [(name: String, layer: any Layer)] {
        var out = mainName.map { [(name: $0, layer: main)] } ?? main.children
        if let shortcut { out.append((name: shortcutName, layer: shortcut)) }
        return out
    }

    // x: [N, C, H, W] -> y = relu(main(x) + shortcut(x)), main and shortcut outputs of equal shape
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        var sum = main.forward(x, context: context)
        let skip = shortcut?.forward(x, context: context) ?? x
        precondition(sum.shape == skip.shape,
                     "Residual: main branch gives shape \(sum.shape) but shortcut gives \(skip.shape) for input \(x.shape)")
        // One pass: add and rectify in place (the main branch's output is this block's own).
        let count = sum.count
        skip.withUnsafePointer { sp in
            sum.withUnsafeMutablePointer { p in
                ReLU.blocks(count, context: context) { r in
                    addReLU(p + r.lowerBound, adding: sp + r.lowerBound, count: r.count)
                }
            }
        }
        output = sum
        return sum
    }

    // dY -> dSum = dY * relu'(sum); dX = main.backward(dSum) + shortcut.backward(dSum) (or dSum for identity)
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let output else { preconditionFailure("Residual: backward called before forward") }
        dY.expectShape(output.shape, "Residual.backward dY")
        let dSum = ReLU.mask(dY, wherePositive: output, context: context)
        var dX = main.backward(dSum, accumulateParameterGradients: accumulateParameterGradients, context: context)
        let dSkip = shortcut?.backward(dSum, accumulateParameterGradients: accumulateParameterGradients, context: context) ?? dSum
        precondition(dX.shape == dSkip.shape, "Residual.backward: branch gradients \(dX.shape) and \(dSkip.shape) differ")
        let count = dX.count
        dSkip.withUnsafePointer { sp in dX.withUnsafeMutablePointer { p in for i in 0..<count { p[i] += sp[i] } } }
        return dX
    }
}
