/// A step of a `GraphBlock` that may read several values (a `Layer` reads one).
public protocol GraphOperation: AnyObject {
    var isTraining: Bool { get set }
    /// The output for these inputs; caches what `backward` needs.
    func forward(_ inputs: [Tensor], context: ExecutionContext) -> Tensor
    /// dL/d(each input) for the last `forward`, given dL/dy.
    func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> [Tensor]
}

/// A directed acyclic graph of operations with one input and one output, run in a fixed
/// topological order: what a residual block or any branching part of an imported model becomes.
///
/// Values are numbered: 0 is the block's input, step `i` writes value `i + 1`. Backward walks the
/// steps in reverse and adds the gradients of a value read by several steps (the skip connection).
public final class GraphBlock: Layer {
    /// One step: an operation, the values it reads, and (implicitly) the value it writes.
    public struct Step {
        public let operation: any GraphOperation
        public let inputs: [Int]
        public init(_ operation: any GraphOperation, inputs: [Int]) {
            self.operation = operation
            self.inputs = inputs
        }
    }

    public let steps: [Step]
    /// The value the block returns.
    public let output: Int
    private var inputShape: [Int]?

    public var isTraining = false {
        didSet { for step in steps { step.operation.isTraining = isTraining } }
    }

    /// `steps` in topological order: each reads only the input and earlier steps' values.
    public init(steps: [Step], output: Int) {
        for (i, step) in steps.enumerated() {
            precondition(step.inputs.allSatisfy { (0...i).contains($0) }, "GraphBlock: step \(i) reads a later value \(step.inputs)")
        }
        precondition((0...steps.count).contains(output), "GraphBlock: output \(output) is not a value")
        self.steps = steps
        self.output = output
    }

    // x -> the value `output`, computing every step in order
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        var values: [Tensor] = [x]
        values.reserveCapacity(steps.count + 1)
        for step in steps { values.append(step.operation.forward(step.inputs.map { values[$0] }, context: context)) }
        inputShape = x.shape
        return values[output]
    }

    // dY -> dX, gradients of values read twice added
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("GraphBlock: backward called before forward") }
        var grads = [Tensor?](repeating: nil, count: steps.count + 1)
        grads[output] = dY
        for (i, step) in steps.enumerated().reversed() {
            guard let g = grads[i + 1] else { continue }
            grads[i + 1] = nil
            for (input, d) in zip(step.inputs, step.operation.backward(g, accumulateParameterGradients: accumulateParameterGradients, context: context)) {
                if var sum = grads[input] {
                    precondition(sum.shape == d.shape, "GraphBlock: gradients \(sum.shape) and \(d.shape) for one value")
                    sum.withUnsafeMutablePointer { p in d.withUnsafePointer { q in for k in 0..<d.count { p[k] += q[k] } } }
                    grads[input] = sum
                } else {
                    grads[input] = d
                }
            }
        }
        return grads[0] ?? Tensor(shape: shape)
    }

    public var children: [(name: String, layer: any Layer)] {
        steps.enumerated().compactMap { i, step in (step.operation as? LayerOperation).map { (name: String(i), layer: $0.layer) } }
    }
}

/// A `Layer` as a one-input graph operation.
public final class LayerOperation: GraphOperation {
    public let layer: any Layer
    public init(_ layer: any Layer) { self.layer = layer }
    public var isTraining: Bool {
        get { layer.isTraining }
        set { layer.isTraining = newValue }
    }
    public func forward(_ inputs: [Tensor], context: ExecutionContext) -> Tensor { layer.forward(inputs[0], context: context) }
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> [Tensor] {
        [layer.backward(dY, accumulateParameterGradients: accumulateParameterGradients, context: context)]
    }
}
