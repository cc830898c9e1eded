import Kernels

/// Batch normalisation over `[N, C, H, W]` per channel, as PyTorch's `nn.BatchNorm2d`.
///
/// Training: normalise with the batch mean and biased variance (over N, H, W), and update
/// `running_mean`/`running_var` with momentum 0.1, the variance unbiased (`* M / (M - 1)`,
/// `M = N*H*W`), and count `num_batches_tracked`, exactly as PyTorch so checkpoints round-trip.
/// Inference: normalise with the running statistics. `y = weight * (x - mean) / sqrt(var + eps) + bias`.
public final class BatchNorm2d: Layer {
    public let numFeatures: Int
    public let eps: Float
    public let momentum: Float
    /// gamma, `[C]`, starts at 1.
    public let weight: Parameter
    /// beta, `[C]`, starts at 0.
    public let bias: Parameter
    /// Buffer `[C]`, starts at 0.
    public let runningMean: Parameter
    /// Buffer `[C]`, starts at 1.
    public let runningVar: Parameter
    /// Buffer, a scalar (shape `[]`): training steps taken. PyTorch stores it as int64.
    public let numBatchesTracked: Parameter
    public var isTraining = false

    // Forward cache: the input, and the mean and 1/sqrt(var + eps) it was normalised with. Backward
    // recomputes xHat = (x - mean) * invStd, bit for bit as forward did, when it needs it: keeping
    // xHat would cost a copy of every activation on every forward, and attacks never need it.
    private var input: Tensor?
    private var mean: [Float] = []
    private var invStd: [Float] = []

    /// A batch norm over `numFeatures` channels, with PyTorch's defaults.
    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        precondition(numFeatures > 0, "BatchNorm2d: bad number of features \(numFeatures)")
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        weight = Parameter("weight", Tensor(shape: [numFeatures], repeating: 1))
        bias = Parameter("bias", Tensor(shape: [numFeatures]))
        runningMean = Parameter("running_mean", Tensor(shape: [numFeatures]), kind: .buffer)
        runningVar = Parameter("running_var", Tensor(shape: [numFeatures], repeating: 1), kind: .buffer)
        numBatchesTracked = Parameter("num_batches_tracked", Tensor(shape: []), kind: .buffer)
    }

    public var ownParameters: [Parameter] { [weight, bias, runningMean, runningVar, numBatchesTracked] }

    // x: [N, C, H, W] -> y: [N, C, H, W]; per channel c over M = N*H*W values
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == numFeatures,
                     "BatchNorm2d: expected input with \(numFeatures) channels, got shape \(x.shape)")
        let n = x.shape[0], c = numFeatures, hw = x.shape[2] * x.shape[3], m = n * hw
        precondition(!isTraining || m > 1, "BatchNorm2d: training needs more than one value per channel, got shape \(x.shape)")
        var mean = [Float](repeating: 0, count: c)
        var variance = [Float](repeating: 0, count: c)
        if isTraining {
            // One channel per task, each plane summed in a fixed order (`laneSum`), planes in Double:
            // independent of threads.
            mean.withUnsafeMutableBufferPointer { mp in
            variance.withUnsafeMutableBufferPointer { vp in
            x.withUnsafePointer { xp in
                context.forEach(c) { ch in
                    var sum = 0.0
                    for b in 0..<n { sum += laneSum(xp + (b * c + ch) * hw, count: hw) }
                    let mu = Float(sum / Double(m))
                    var sq = 0.0
                    for b in 0..<n { sq += laneSumOfSquares(xp + (b * c + ch) * hw, count: hw, around: mu) }
                    mp[ch] = mu
                    vp[ch] = Float(sq / Double(m))
                }
            }}}
            let unbias = Float(m) / Float(m - 1)
            for ch in 0..<c {
                runningMean.value.storage[ch] = (1 - momentum) * runningMean.value.storage[ch] + momentum * mean[ch]
                runningVar.value.storage[ch] = (1 - momentum) * runningVar.value.storage[ch] + momentum * variance[ch] * unbias
            }
            numBatchesTracked.value.storage[0] += 1
        } else {
            mean = runningMean.value.storage
            variance = runningVar.value.storage
        }
        let invStd = variance.map { 1 / ($0 + eps).squareRoot() }
        var y = Tensor(uninitializedShape: x.shape)
        // Pointer loops, one channel per task: indexing `storage` element by element paid a
        // uniqueness check each time and was the largest cost of a resnet-lite step.
        x.withUnsafePointer { xp in
        y.withUnsafeMutablePointer { yp in
        weight.value.withUnsafePointer { wp in
        bias.value.withUnsafePointer { bp in
            context.forEach(c) { ch in
                let mu = mean[ch], s = invStd[ch], g = wp[ch], beta = bp[ch]
                for b in 0..<n {
                    let base = (b * c + ch) * hw
                    for p in base..<(base + hw) { yp[p] = g * ((xp[p] - mu) * s) + beta }
                }
            }
        }}}}
        input = x
        self.mean = mean
        self.invStd = invStd
        return y
    }

    // dY: [N, C, H, W] -> dX: [N, C, H, W]
    // Training (mean and var depend on x): dX = invStd/M * (M*dXhat - sum(dXhat) - xHat * sum(dXhat*xHat)),
    // dXhat = dY*weight. Inference (constants): dX = dY * weight * invStd.
    // When asked: dWeight += sum(dY * xHat), dBias += sum(dY), per channel.
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let x = input else { preconditionFailure("BatchNorm2d: backward called before forward") }
        dY.expectShape(x.shape, "BatchNorm2d.backward dY")
        let n = x.shape[0], c = numFeatures, hw = x.shape[2] * x.shape[3], m = n * hw
        var sumDY = [Double](repeating: 0, count: c)
        var sumDYxHat = [Double](repeating: 0, count: c)
        var dX = Tensor(uninitializedShape: x.shape)
        let training = isTraining, mean = mean
        // One channel per task; each channel's sums run in a fixed order, so threads never matter.
        dY.withUnsafePointer { dyp in
        x.withUnsafePointer { xp in
        dX.withUnsafeMutablePointer { dxp in
        weight.value.withUnsafePointer { wp in
        sumDY.withUnsafeMutableBufferPointer { sdy in
        sumDYxHat.withUnsafeMutableBufferPointer { sdyh in
            context.forEach(c) { ch in
                let g = wp[ch], s = invStd[ch], mu = mean[ch]
                if !training && !accumulateParameterGradients {
                    // Inference, input gradient only (attacks): dX = dY * gamma / sqrt(var + eps), no sums needed.
                    let scale = g * s
                    for b in 0..<n {
                        let base = (b * c + ch) * hw
                        for p in base..<(base + hw) { dxp[p] = dyp[p] * scale }
                    }
                    return
                }
                var sum = 0.0, sumH = 0.0
                for b in 0..<n {
                    let base = (b * c + ch) * hw
                    let plane = laneSums(dyp + base, xp + base, count: hw, mean: mu, scale: s)
                    sum += plane.sum
                    sumH += plane.sumTimesNormalised
                }
                sdy[ch] = sum
                sdyh[ch] = sumH
                let meanDY = Float(sum / Double(m)), meanDYxHat = Float(sumH / Double(m))
                for b in 0..<n {
                    let base = (b * c + ch) * hw
                    if training {
                        for p in base..<(base + hw) { dxp[p] = g * s * (dyp[p] - meanDY - (xp[p] - mu) * s * meanDYxHat) }
                    } else {
                        for p in base..<(base + hw) { dxp[p] = dyp[p] * g * s }
                    }
                }
            }
        }}}}}}
        if accumulateParameterGradients {
            for ch in 0..<c {
                weight.grad.storage[ch] += Float(sumDYxHat[ch])
                bias.grad.storage[ch] += Float(sumDY[ch])
            }
        }
        return dX
    }
}
