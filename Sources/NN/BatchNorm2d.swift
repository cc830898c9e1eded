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
            // Each plane summed in a fixed order (`laneSum`), the planes of a channel added in image
            // order in Double: independent of threads. Two passes (mean, then squares around it).
            x.withUnsafePointer { xp in
                let sums = perPlane(x.shape, context: context) { plane, _ in laneSum(xp + plane, count: hw) }
                for ch in 0..<c { mean[ch] = Float(channelTotal(sums, ch, channels: c) { $0 } / Double(m)) }
                let squares = perPlane(x.shape, context: context) { plane, ch in
                    laneSumOfSquares(xp + plane, count: hw, around: mean[ch])
                }
                for ch in 0..<c { variance[ch] = Float(channelTotal(squares, ch, channels: c) { $0 } / Double(m)) }
            }
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
        // Pointer loops, one image per task: indexing `storage` element by element paid a
        // uniqueness check each time and was the largest cost of a resnet-lite step.
        x.withUnsafePointer { xp in
        y.withUnsafeMutablePointer { yp in
        weight.value.withUnsafePointer { wp in
        bias.value.withUnsafePointer { bp in
            context.forEach(n) { b in
                for ch in 0..<c {
                    let mu = mean[ch], s = invStd[ch], g = wp[ch], beta = bp[ch]
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
        var dX = Tensor(uninitializedShape: x.shape)
        let training = isTraining, mean = mean, invStd = invStd
        var sumDY = [Double](repeating: 0, count: c)
        var sumDYxHat = [Double](repeating: 0, count: c)
        var meanDY = [Float](repeating: 0, count: c), meanDYxHat = [Float](repeating: 0, count: c)
        if training || accumulateParameterGradients {
            // Each plane's two sums in a fixed order (`laneSums`), a channel's planes added in image
            // order in Double: independent of threads.
            let planes = dY.withUnsafePointer { dyp in
                x.withUnsafePointer { xp in
                    perPlane(x.shape, context: context) { plane, ch in
                        laneSums(dyp + plane, xp + plane, count: hw, mean: mean[ch], scale: invStd[ch])
                    }
                }
            }
            for ch in 0..<c {
                sumDY[ch] = channelTotal(planes, ch, channels: c) { $0.sum }
                sumDYxHat[ch] = channelTotal(planes, ch, channels: c) { $0.sumTimesNormalised }
                meanDY[ch] = Float(sumDY[ch] / Double(m))
                meanDYxHat[ch] = Float(sumDYxHat[ch] / Double(m))
            }
        }
        dY.withUnsafePointer { dyp in
        x.withUnsafePointer { xp in
        dX.withUnsafeMutablePointer { dxp in
        weight.value.withUnsafePointer { wp in
            context.forEach(n) { b in
                for ch in 0..<c {
                    let g = wp[ch], s = invStd[ch], mu = mean[ch]
                    let base = (b * c + ch) * hw
                    if training {
                        let mdy = meanDY[ch], mdyh = meanDYxHat[ch]
                        for p in base..<(base + hw) { dxp[p] = g * s * (dyp[p] - mdy - (xp[p] - mu) * s * mdyh) }
                    } else if accumulateParameterGradients {
                        for p in base..<(base + hw) { dxp[p] = dyp[p] * g * s }
                    } else {
                        // Inference, input gradient only (attacks): dX = dY * gamma / sqrt(var + eps).
                        let scale = g * s
                        for p in base..<(base + hw) { dxp[p] = dyp[p] * scale }
                    }
                }
            }
        }}}}
        if accumulateParameterGradients {
            for ch in 0..<c {
                weight.grad.storage[ch] += Float(sumDYxHat[ch])
                bias.grad.storage[ch] += Float(sumDY[ch])
            }
        }
        return dX
    }
}

/// `body(offset, channel)` for every plane of an `[N, C, H, W]` tensor (offset = its first element),
/// one image per task, the results in plane order (`image * C + channel`).
///
/// Why images and not channels per task: a channel's planes lie `C * H * W` floats apart, and at
/// 7x7 or 14x14 each is a run of a few cache lines that no prefetcher follows; an image is one
/// contiguous run. A resnet-lite BatchNorm pass at 14x14 or 7x7 took 1.4-1.6x as long channel by channel.
private func perPlane<T>(_ shape: [Int], context: ExecutionContext, _ body: (Int, Int) -> T) -> [T] {
    let n = shape[0], c = shape[1], hw = shape[2] * shape[3]
    return [T](unsafeUninitializedCapacity: n * c) { results, initialized in
        context.forEach(n) { b in
            for ch in 0..<c { (results.baseAddress! + b * c + ch).initialize(to: body((b * c + ch) * hw, ch)) }
        }
        initialized = n * c
    }
}

/// `sum over images of value(plane)` for one channel, added in image order (so never by thread).
private func channelTotal<T>(_ planes: [T], _ channel: Int, channels c: Int, _ value: (T) -> Double) -> Double {
    var total = 0.0
    for b in stride(from: channel, to: planes.count, by: c) { total += value(planes[b]) }
    return total
}
