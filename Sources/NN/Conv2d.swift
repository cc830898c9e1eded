import Kernels

/// 2-D convolution (cross-correlation, as PyTorch's `nn.Conv2d`), NCHW, weight `[out, in, kh, kw]`.
///
/// Output size: `OH = (H + 2p - kh) / s + 1`, `OW = (W + 2p - kw) / s + 1`.
/// Implemented as im2col + the shared GEMM (the column matrix never materialised: read in place for stride 1 on
/// AVX-512, packed panel by panel otherwise), one image per task: batch-level parallelism keeps
/// each GEMM on one thread, which beats splitting a small GEMM, and makes every result
/// independent of the thread count.
public final class Conv2d: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let stride: Int
    public let padding: Int
    /// `[out, in, kh, kw]`.
    public let weight: Parameter
    /// `[out]`, or nil for a convolution without bias (the usual choice before BatchNorm).
    public let bias: Parameter?
    public var isTraining = false
    private var input: Tensor?
    /// The input of the last `forward` (what per-sample gradient norms need), or nil before one.
    var lastInput: Tensor? { input }
    /// The weights packed as A of the forward GEMM, of W^T dY, and of the flipped-kernel input
    /// gradient, each with the weight version it was made from (see `cachedPack`).
    private var packedForward: (version: Int, value: PackedA)?
    private var packedTranspose: (version: Int, value: PackedA)?
    private var packedFlipped: (version: Int, value: PackedA)?
    private var phaseWeights: (version: Int, value: PhaseWeights)?
    /// The weights as `[C][O][kh*kw]`, for the nine-tap input gradient.
    private var channelMajorWeights: (version: Int, value: [Float])?
    /// Set by `foldingBatchNorms` on a convolution that a ReLU follows: the ReLU runs on each image's
    /// output right after its GEMM, while it is still in cache, instead of as a layer making
    /// another pass over the batch; backward masks dY by that output (`y > 0` exactly when the
    /// pre-activation was), so results are bit for bit those of the two layers.
    public var fusesReLU = false
    private var output: Tensor?

    /// Images per weight-gradient partial sum. A constant, not the thread count, so the order
    /// in which dW is summed (within a chunk, then chunks in order) never depends on threads.
    public static let weightGradientChunk = 8

    /// The largest column matrix (floats) folded whole by `col2imGather`: 768 KiB, inside the 1 MiB L2.
    static let gatherColumnLimit = 196_608

    /// Output positions per column chunk of the paths that still build one (the input gradient's
    /// W^T dY when it is folded by `col2im`, per-sample gradient norms); nil picks them so a chunk is
    /// about 256 KiB (it stays in L2). Tests set small values to exercise chunk edges.
    public var im2colChunkColumns: Int?

    func columnChunk(k: Int, spatial: Int) -> Int {
        if let im2colChunkColumns { return max(1, min(spatial, im2colChunkColumns)) }
        return min(spatial, max(32, (65_536 / max(1, k)) / 32 * 32))
    }

    /// A convolution with PyTorch's default initialisation (Kaiming-uniform with a = sqrt(5)):
    /// weight and bias uniform in `[-1/sqrt(fanIn), 1/sqrt(fanIn)]`, `fanIn = in * kh * kw`,
    /// drawn from `SplitMix64(seed:)` so a model is reproducible from its seed.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: Int = 1, padding: Int = 0,
                bias: Bool = true, seed: UInt64) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize.0 > 0 && kernelSize.1 > 0 && stride > 0 && padding >= 0,
                     "Conv2d: bad configuration in \(inChannels) out \(outChannels) kernel \(kernelSize) stride \(stride) padding \(padding)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        kernelHeight = kernelSize.0
        kernelWidth = kernelSize.1
        self.stride = stride
        self.padding = padding
        var rng = SplitMix64(seed: seed)
        let bound = 1 / Float(inChannels * kernelHeight * kernelWidth).squareRoot()
        weight = Parameter("weight", uniformTensor([outChannels, inChannels, kernelHeight, kernelWidth], bound: bound, rng: &rng))
        self.bias = bias ? Parameter("bias", uniformTensor([outChannels], bound: bound, rng: &rng)) : nil
    }

    /// A convolution with a square `kernelSize x kernelSize` window.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            bias: Bool = true, seed: UInt64) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: stride, padding: padding,
                  bias: bias, seed: seed)
    }

    public var ownParameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// The window geometry for an input of shape `[N, C, H, W]`, checked against this layer.
    private func geometry(_ shape: [Int]) -> ConvGeometry {
        precondition(shape.count == 4 && shape[1] == inChannels,
                     "Conv2d: expected input with \(inChannels) channels, got shape \(shape)")
        precondition(shape[2] + 2 * padding >= kernelHeight && shape[3] + 2 * padding >= kernelWidth,
                     "Conv2d: kernel \(kernelHeight)x\(kernelWidth) with padding \(padding) does not fit input of shape \(shape)")
        return ConvGeometry(channels: inChannels, height: shape[2], width: shape[3], kernelHeight: kernelHeight,
                            kernelWidth: kernelWidth, stride: stride, padding: padding)
    }

    // x: [N, C, H, W], weight: [O, C, kh, kw], bias: [O] -> y: [N, O, OH, OW]
    // Per image: y_i = W [O, C*kh*kw] * im2col(x_i) [C*kh*kw, OH*OW] (+ b), the column matrix
    // packed panel by panel inside the GEMM, never materialised.
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        let g = geometry(x.shape)
        let n = x.shape[0], o = outChannels, k = g.colRows, spatial = g.colColumns
        var y = Tensor(uninitializedShape: [n, o, g.outHeight, g.outWidth])
        // The weights are packed once for the whole batch (and kept while they do not change).
        let packedW = cachedPack(&packedForward, context: context) {
            weight.value.withUnsafePointer { PackedA(.n, a: $0, lda: k, m: o, k: k, for: context, pixelTiles: true) }
        }
        let biasValues = bias?.value.storage ?? []
        x.withUnsafePointer { xp in
        y.withUnsafeMutablePointer { yp in
        biasValues.withUnsafeBufferPointer { biasBuffer in
            let rowBias = bias == nil ? nil : biasBuffer.baseAddress
            context.forEach(n) { i in
                let yi = yp + i * o * spatial
                let xi = xp + i * g.imageCount
                if g.im2colIsIdentity {
                    sgemm(packedA: packedW, .n, n: spatial, b: xi, ldb: spatial, c: yi, ldc: spatial, on: context, threads: 1)
                    if let rowBias { addRowBias(rowBias, m: o, n: spatial, c: yi, ldc: spatial) }
                } else {
                    sgemm(packedA: packedW, im2colOf: xi, geometry: g, rowBias: rowBias, c: yi, ldc: spatial, on: context, threads: 1)
                }
                if fusesReLU { relu(yi, into: yi, count: o * spatial) }
            }
        }}}
        input = x
        output = fusesReLU ? y : nil
        return y
    }

    // dY: [N, O, OH, OW] -> dX: [N, C, H, W]
    // dX_i = col2im(W^T * dY_i), or a convolution of dY_i (see `InputGradientPath`); when asked, dW += sum_i dY_i * im2col(x_i)^T, db += sum over N, OH, OW of dY.
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let x = input else { preconditionFailure("Conv2d: backward called before forward") }
        let g = geometry(x.shape)
        let n = x.shape[0], o = outChannels
        dY.expectShape([n, o, g.outHeight, g.outWidth], "Conv2d.backward dY for input \(x.shape)")
        if let output { return backward(ReLU.mask(dY, wherePositive: output, context: context), x, g, accumulateParameterGradients, context) }
        return backward(dY, x, g, accumulateParameterGradients, context)
    }

    // The weight gradient alone: no input gradient.
    public func accumulateParameterGradients(_ dY: Tensor, context: ExecutionContext) {
        guard let x = input else { preconditionFailure("Conv2d: backward called before forward") }
        let g = geometry(x.shape)
        dY.expectShape([x.shape[0], outChannels, g.outHeight, g.outWidth], "Conv2d.backward dY for input \(x.shape)")
        accumulateGradients(output.map { ReLU.mask(dY, wherePositive: $0, context: context) } ?? dY, x, g, context: context)
    }

    private func backward(_ dY: Tensor, _ x: Tensor, _ g: ConvGeometry, _ accumulateParameterGradients: Bool,
                          _ context: ExecutionContext) -> Tensor {
        let dX: Tensor
        switch inputGradientPath(g, context: context) {
        case .transposedConvolution: dX = inputGradientAsConvolution(dY, g: g, context: context)
        case .phases: dX = inputGradientByPhases(dY, g: g, context: context)
        case .nineTapGather: dX = inputGradientByNineTaps(dY, g: g, context: context)
        case let path: dX = inputGradientByGEMM(dY, g: g, gather: path == .gemmGather, context: context)
        }
        if accumulateParameterGradients { accumulateGradients(dY, x, g, context: context) }
        return dX
    }

    /// How `backward` computes dX; a function of the layer, the input's shape and the context only.
    public enum InputGradientPath: Equatable, Sendable {
        /// W^T dY per image straight into dX (1x1 kernel, stride 1, no padding: im2col is the image).
        case gemmIdentity
        /// W^T dY per image into a column matrix that fits L2, then a gathering fold writing every pixel once.
        case gemmGather
        /// W^T dY in column chunks, each folded (col2im) by adding into a zeroed dX.
        case gemmChunked
        /// dX as a stride-1 convolution of dY with the flipped kernel (see `transposes`).
        case transposedConvolution
        /// Strided, the window at least the stride: s x s stride-1 convolutions of dY, one per phase of dX
        /// (`convolutionInputGradientByPhases`).
        case phases
        /// Stride 1, 3x3, not transposed (fewer than 8 input channels, as a first layer, or padding of 3 or
        /// more) on a kernel with direct tiles: W^T dY by a nine-row tile reading dY in place, then the
        /// gathering fold (`convolutionInputGradientByNineTaps`).
        case nineTapGather
    }

    /// The path `backward` takes for an input of `shape` ([N, C, H, W]) under `context`.
    public func inputGradientPath(forInput shape: [Int], context: ExecutionContext) -> InputGradientPath {
        inputGradientPath(geometry(shape), context: context)
    }

    private func inputGradientPath(_ g: ConvGeometry, context: ExecutionContext) -> InputGradientPath {
        if transposes(g, context: context) { return .transposedConvolution }
        // Phases when every phase has taps; a 1x1 strided projection scatters W^T dY into zeros faster.
        if g.stride > 1 && kernelHeight >= g.stride && kernelWidth >= g.stride && context.gemm.kernel.runIndirect != nil {
            return .phases
        }
        if g.im2colIsIdentity { return .gemmIdentity }
        guard g.stride == 1 && g.colRows * g.colColumns <= Conv2d.gatherColumnLimit else { return .gemmChunked }
        if context.gemm.kernel.direct != nil && kernelHeight == 3 && kernelWidth == 3
            && g.colColumns >= DirectConvolutionTiles.nineTapWidth {
            return .nineTapGather
        }
        return .gemmGather
    }

    // dY: [N, O, OH, OW] -> dX_i = col2im(W^T * dY_i), one GEMM per image
    private func inputGradientByGEMM(_ dY: Tensor, g: ConvGeometry, gather: Bool, context: ExecutionContext) -> Tensor {
        let n = dY.shape[0], o = outChannels, k = g.colRows, spatial = g.colColumns
        let shape = [n, inChannels, g.height, g.width]
        var dX = g.im2colIsIdentity || gather ? Tensor(uninitializedShape: shape) : Tensor(shape: shape)
        let packedWT = cachedPack(&packedTranspose, context: context) {
            weight.value.withUnsafePointer { PackedA(.t, a: $0, lda: k, m: k, k: o, for: context) }
        }
        dY.withUnsafePointer { dyp in
        dX.withUnsafeMutablePointer { dxp in
            context.forEach(n) { i in
                let dyi = dyp + i * o * spatial
                let dxi = dxp + i * g.imageCount
                if g.im2colIsIdentity {
                    sgemm(packedA: packedWT, .n, n: spatial, b: dyi, ldb: spatial, c: dxi, ldc: spatial, on: context, threads: 1)
                } else if gather {
                    context.workspaces.with(k * spatial) { dCol in
                        sgemm(packedA: packedWT, .n, n: spatial, b: dyi, ldb: spatial, c: dCol, ldc: spatial, on: context, threads: 1)
                        col2imGather(dCol, g, into: dxi)
                    }
                } else {
                    let chunk = columnChunk(k: k, spatial: spatial)
                    context.workspaces.with(k * chunk) { dCol in
                        var j0 = 0
                        while j0 < spatial {
                            let w = min(chunk, spatial - j0)
                            sgemm(packedA: packedWT, .n, n: w, b: dyi + j0, ldb: spatial, c: dCol, ldc: w, on: context, threads: 1)
                            col2im(dCol, g, columns: j0..<(j0 + w), ld: w, addingInto: dxi)
                            j0 += w
                        }
                    }
                }
            }
        }}
        return dX
    }

    /// Whether dX is taken as a plain convolution of dY, when that is the faster way: stride 1, a
    /// square kernel, padding below the kernel size, at least 8 input channels (one full tile of
    /// rows; the first layer of a grey-scale model has 1), and a micro-kernel that reads B in place
    /// (so the convolution packs nothing).
    private func transposes(_ g: ConvGeometry, context: ExecutionContext) -> Bool {
        g.stride == 1 && kernelHeight == kernelWidth && padding < kernelHeight && inChannels >= 8
            && context.gemm.kernel.runIndirect != nil
    }

    /// The geometry over dY under which dX is that convolution (see `transposes`).
    private func transposedGeometry(_ g: ConvGeometry) -> ConvGeometry {
        ConvGeometry(channels: outChannels, height: g.outHeight, width: g.outWidth, kernelHeight: kernelHeight,
                            kernelWidth: kernelWidth, stride: 1, padding: kernelHeight - 1 - padding)
    }

    // dY: [N, O, OH, OW] -> dX: [N, C, H, W] = conv(dY, W flipped in space, in/out swapped, padding kh - 1 - p)
    // Why: the transpose of a stride-1 convolution is a convolution, and with the in-place micro-kernel
    // it needs neither the [C*kh*kw, OH*OW] column matrix of W^T dY nor the fold back onto the image.
    private func inputGradientAsConvolution(_ dY: Tensor, g: ConvGeometry, context: ExecutionContext) -> Tensor {
        let n = dY.shape[0]
        let transposed = transposedGeometry(g)
        let packed = cachedPack(&packedFlipped, context: context) { flippedWeights(context: context) }
        var dX = Tensor(uninitializedShape: [n, inChannels, g.height, g.width])
        dY.withUnsafePointer { dyp in
        dX.withUnsafeMutablePointer { dxp in
            context.forEach(n) { i in
                sgemm(packedA: packed, im2colOf: dyp + i * transposed.imageCount, geometry: transposed,
                      c: dxp + i * g.imageCount, ldc: g.height * g.width, on: context, threads: 1)
            }
        }}
        return dX
    }

    // dY: [N, O, OH, OW] -> dX: [N, C, H, W], one image per task.
    private func inputGradientByNineTaps(_ dY: Tensor, g: ConvGeometry, context: ExecutionContext) -> Tensor {
        let n = dY.shape[0], o = outChannels, outCount = o * g.colColumns
        let weights = cached(&channelMajorWeights, fits: { _ in true }) {
            let c = inChannels, taps = kernelHeight * kernelWidth
            var w = [Float](repeating: 0, count: c * o * taps)
            for oc in 0..<o {
                for ch in 0..<c {
                    for t in 0..<taps { w[(ch * o + oc) * taps + t] = weight.value.storage[(oc * c + ch) * taps + t] }
                }
            }
            return w
        }
        var dX = Tensor(uninitializedShape: [n, inChannels, g.height, g.width])
        dY.withUnsafePointer { dyp in
        dX.withUnsafeMutablePointer { dxp in
        weights.withUnsafeBufferPointer { wp in
            context.forEach(n) { i in
                convolutionInputGradientByNineTaps(dyp + i * outCount, outChannels: o, geometry: g, weights: wp.baseAddress!,
                                                   into: dxp + i * g.imageCount, context: context)
            }
        }}}
        return dX
    }

    // dY: [N, O, OH, OW] -> dX: [N, C, H, W], each phase of dX a stride-1 convolution of dY (one image per task).
    private func inputGradientByPhases(_ dY: Tensor, g: ConvGeometry, context: ExecutionContext) -> Tensor {
        let n = dY.shape[0], o = outChannels, outCount = o * g.colColumns
        let weights = cached(&phaseWeights, fits: { $0.fits(context) }) {
            weight.value.withUnsafePointer { PhaseWeights(weights: $0, outChannels: o, geometry: g, for: context) }
        }
        var dX = Tensor(uninitializedShape: [n, inChannels, g.height, g.width])
        dY.withUnsafePointer { dyp in
        dX.withUnsafeMutablePointer { dxp in
            context.forEach(n) { i in
                convolutionInputGradientByPhases(dyp + i * outCount, outChannels: o, geometry: g, weights: weights,
                                                 into: dxp + i * g.imageCount, context: context)
            }
        }}
        return dX
    }

    /// `pack()` made from the current weights: kept in `slot` with the weight version it was made
    /// from, and reused until the weights change (or a call brings a context with another kernel).
    /// Attacks call a layer thousands of times with the same weights; repacking them every call was
    /// 1-3 % of an attack step.
    private func cachedPack(_ slot: inout (version: Int, value: PackedA)?, context: ExecutionContext,
                            _ pack: () -> PackedA) -> PackedA {
        cached(&slot, fits: { $0.fits(context.gemm) }, pack)
    }

    /// What `make` derives from the weights, kept in `slot` with the weight version it was made from and
    /// reused while the weights are unchanged and `fits` accepts it.
    private func cached<T>(_ slot: inout (version: Int, value: T)?, fits: (T) -> Bool, _ make: () -> T) -> T {
        if let kept = slot, kept.version == weight.version, fits(kept.value) { return kept.value }
        let made = make()
        slot = (weight.version, made)
        return made
    }

    /// `flipped[ch, oc, t] = W[oc, ch, kk - 1 - t]` (spatial flip, channels swapped) packed as A of
    /// the input-gradient convolution, `[C, O*kh*kw]`.
    private func flippedWeights(context: ExecutionContext) -> PackedA {
        let o = outChannels, c = inChannels, kk = kernelHeight * kernelWidth
        var flipped = [Float](repeating: 0, count: c * o * kk)
        for oc in 0..<o {
            for ch in 0..<c {
                for t in 0..<kk { flipped[(ch * o + oc) * kk + t] = weight.value.storage[(oc * c + ch) * kk + kk - 1 - t] }
            }
        }
        return flipped.withUnsafeBufferPointer { PackedA(.n, a: $0.baseAddress!, lda: o * kk, m: c, k: o * kk, for: context, pixelTiles: true) }
    }

    /// dW += sum_i dY_i [O, OH*OW] * col_i^T [OH*OW, C*kh*kw]; db += sum of dY per channel.
    /// Fixed chunks of images each sum into a private partial; partials are added in chunk order.
    /// A window (not 1x1 stride 1) multiplies against a channels-last copy of the padded image
    /// (`sgemm(a:windowsOfChannelsLast:)`), so the partial is in `[O, kh, kw, C]` order and is
    /// permuted into the weight's `[O, C, kh, kw]` when added.
    private func accumulateGradients(_ dY: Tensor, _ x: Tensor, _ g: ConvGeometry, context: ExecutionContext) {
        let n = x.shape[0], o = outChannels, k = g.colRows, spatial = g.colColumns
        let chunk = Conv2d.weightGradientChunk
        let chunks = (n + chunk - 1) / chunk
        let partialCount = o * k + o  // dW then db
        let identity = g.im2colIsIdentity
        context.workspaces.with(chunks * partialCount) { partials in
            x.withUnsafePointer { xp in
            dY.withUnsafePointer { dyp in
                context.forEach(chunks) { c in
                    let dW = partials + c * partialCount
                    let dB = dW + o * k
                    dB.update(repeating: 0, count: o)
                    let images = c * chunk..<min(n, (c + 1) * chunk)
                    context.workspaces.with(identity ? 1 : channelsLastPaddedCount(g)) { channelsLast in
                        for i in images {
                            let dyi = dyp + i * o * spatial
                            let xi = xp + i * g.imageCount
                            let beta: Float = i == images.lowerBound ? 0 : 1
                            if identity {
                                sgemm(.n, .t, m: o, n: k, k: spatial, a: dyi, lda: spatial, b: xi, ldb: spatial,
                                      beta: beta, c: dW, ldc: k, on: context, threads: 1)
                            } else {
                                padImageChannelsLast(xi, g, into: channelsLast)
                                sgemm(a: dyi, lda: spatial, m: o, windowsOfChannelsLast: channelsLast, geometry: g,
                                      beta: beta, c: dW, ldc: k, on: context, threads: 1)
                            }
                            for oc in 0..<o { dB[oc] += Float(laneSum(dyi + oc * spatial, count: spatial)) }
                        }
                    }
                }
            }}
            let taps = kernelHeight * kernelWidth, ch = inChannels
            weight.grad.withUnsafeMutablePointer { gp in
                for c in 0..<chunks {
                    let dW = partials + c * partialCount
                    if identity {
                        for j in 0..<o * k { gp[j] += dW[j] }
                        continue
                    }
                    // dW is [O, taps, C]; the weight is [O, C, taps].
                    for oc in 0..<o {
                        for t in 0..<taps {
                            for cc in 0..<ch { gp[(oc * ch + cc) * taps + t] += dW[(oc * taps + t) * ch + cc] }
                        }
                    }
                }
            }
            if let bias {
                bias.grad.withUnsafeMutablePointer { gp in
                    for c in 0..<chunks {
                        let dB = partials + c * partialCount + o * k
                        for j in 0..<o { gp[j] += dB[j] }
                    }
                }
            }
        }
    }
}
