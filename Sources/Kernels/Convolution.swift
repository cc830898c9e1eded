/// The geometry of a 2-D sliding window (convolution or pooling) over one `C x H x W` image.
///
/// Output size per spatial dimension: `OH = (H + 2p - kh) / s + 1`, `OW = (W + 2p - kw) / s + 1`
/// (integer division: a window that would hang over the padded edge is dropped, as in PyTorch).
public struct ConvGeometry: Sendable, Equatable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let stride: Int
    public let padding: Int

    /// A window of `kernelHeight x kernelWidth` moved by `stride`, over an image zero-padded by `padding` on every side.
    public init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) {
        precondition(channels > 0 && height > 0 && width > 0, "ConvGeometry: bad input size \(channels)x\(height)x\(width)")
        precondition(kernelHeight > 0 && kernelWidth > 0 && stride > 0 && padding >= 0,
                     "ConvGeometry: bad window kernel \(kernelHeight)x\(kernelWidth) stride \(stride) padding \(padding)")
        precondition(height + 2 * padding >= kernelHeight && width + 2 * padding >= kernelWidth,
                     "ConvGeometry: kernel \(kernelHeight)x\(kernelWidth) larger than padded input "
                     + "\(height + 2 * padding)x\(width + 2 * padding)")
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
    }

    /// `OH = (H + 2p - kh) / s + 1`.
    public var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    /// `OW = (W + 2p - kw) / s + 1`.
    public var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Rows of the im2col matrix: `C * kh * kw` (the GEMM depth).
    public var colRows: Int { channels * kernelHeight * kernelWidth }
    /// Columns of the im2col matrix: `OH * OW`.
    public var colColumns: Int { outHeight * outWidth }
    /// Elements of one input image, `C * H * W`.
    public var imageCount: Int { channels * height * width }
    /// True when im2col is the identity (1x1 kernel, stride 1, no padding): the image is its own column matrix.
    public var im2colIsIdentity: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }

    /// Output positions `o` whose input coordinate `o * stride - padding + kernelOffset` falls in
    /// `0..<size`: the part of a window row that reads the image rather than the zero padding.
    public func validOutputRange(kernelOffset: Int, size: Int, outSize: Int) -> Range<Int> {
        let first = padding - kernelOffset // smallest o * stride that lands on x = 0
        let lo = first <= 0 ? 0 : (first + stride - 1) / stride
        let last = size - 1 + padding - kernelOffset // largest o * stride that lands on x = size - 1
        let hi = last < 0 ? 0 : min(outSize, last / stride + 1)
        return lo..<max(lo, hi)
    }
}

/// Unfolds one `C x H x W` image into the `[C*kh*kw, OH*OW]` column matrix, zeros where the window hits padding.
///
/// Why: a convolution is then one GEMM, `Y[out, OH*OW] = W[out, C*kh*kw] * col`, on the fast kernel.
/// Row `(c*kh + i)*kw + j`, column `oy*OW + ox` holds `x[c, oy*s - p + i, ox*s - p + j]`.
public func im2col(_ image: UnsafePointer<Float>, _ g: ConvGeometry, into col: UnsafeMutablePointer<Float>) {
    im2col(image, g, columns: 0..<g.colColumns, into: col, ld: g.colColumns)
}

/// `im2col` restricted to the output positions `columns` (flattened `oy * OW + ox`), written as a
/// `[C*kh*kw, columns.count]` matrix with row stride `ld`.
///
/// Why chunks: a whole image's column matrix is 9x the image and falls out of L2 before the GEMM
/// reads it back; a chunk of a few hundred positions is written and read while it is still in cache.
public func im2col(_ image: UnsafePointer<Float>, _ g: ConvGeometry, columns: Range<Int>,
                   into col: UnsafeMutablePointer<Float>, ld: Int) {
    im2col(image, g, rows: 0..<g.colRows, columns: columns, into: col, ld: ld)
}

/// `im2col` restricted to the rows `rows` (flattened `(c*kh + i)*kw + j`) and output positions
/// `columns`, written as a `[rows.count, columns.count]` matrix with row stride `ld`.
///
/// Why rows too: the GEMM packs B panels straight from the image (`sgemm(packedA:im2colOf:...)`),
/// one k pass (a row range) and one `nr`-column panel at a time, with `ld = nr`: the packed
/// panel layout is exactly this matrix, so the column matrix is never materialised.
public func im2col(_ image: UnsafePointer<Float>, _ g: ConvGeometry, rows: Range<Int>, columns: Range<Int>,
                   into col: UnsafeMutablePointer<Float>, ld: Int) {
    let ow = g.outWidth, kh = g.kernelHeight, kw = g.kernelWidth
    for r in rows {
        let c = r / (kh * kw), i = (r / kw) % kh, j = r % kw
        let plane = image + c * g.height * g.width
        let row = col + (r - rows.lowerBound) * ld - columns.lowerBound
        // Output columns whose input x = ox*s - p + j lies inside the image; the rest is
        // padding. Splitting the range removes the per-element branch.
        let valid = g.validOutputRange(kernelOffset: j, size: g.width, outSize: ow)
        var p = columns.lowerBound
        while p < columns.upperBound {
            let oy = p / ow, ox0 = p - oy * ow
            let ox1 = min(ow, ox0 + columns.upperBound - p)
            let out = row + (p - ox0) // out[ox] is position (oy, ox)
            let y = oy * g.stride - g.padding + i
            let lo = max(ox0, valid.lowerBound), hi = min(ox1, valid.upperBound)
            if y < 0 || y >= g.height || lo >= hi {
                for t in ox0..<ox1 { out[t] = 0 }
            } else {
                for t in ox0..<lo { out[t] = 0 }
                let src = plane + (y * g.width + lo * g.stride - g.padding + j)
                if g.stride == 1 {
                    copyFloats(out + lo, src, hi - lo)
                } else {
                    for t in 0..<(hi - lo) { out[lo + t] = src[t * g.stride] }
                }
                for t in hi..<ox1 { out[t] = 0 }
            }
            p += ox1 - ox0
        }
    }
}

/// Rows `rows` and columns `columns` of the im2col matrix of a `padded` image (`C x (H+2p) x (W+2p)`,
/// the border already zero), as a `[rows.count, columns.count]` matrix with row stride `ld`:
/// element (`(c*kh + i)*kw + j`, `oy*OW + ox`) is `padded[c, oy*s + i, ox*s + j]`.
///
/// Why: this is the GEMM's B packing for a convolution (`ld = nr`, one micro-panel). The columns
/// cut into runs along output rows once per panel; each row of the panel is then a few run
/// copies at one offset, with no border tests and no divisions (per-element tests made packing
/// slower than the multiply).
@inline(__always)
func im2colPanel(padded: UnsafePointer<Float>, _ g: ConvGeometry, rows: Range<Int>, columns: Range<Int>,
                 into col: UnsafeMutablePointer<Float>, ld: Int) {
    let ow = g.outWidth, s = g.stride, kh = g.kernelHeight, kw = g.kernelWidth
    let wp = g.width + 2 * g.padding, planeSize = (g.height + 2 * g.padding) * wp
    withUnsafeTemporaryAllocation(of: (dst: Int, src: Int, count: Int).self, capacity: columns.count + 1) { runs in
        var runCount = 0
        var p = columns.lowerBound
        while p < columns.upperBound {
            let oy = p / ow, ox0 = p - oy * ow
            let count = min(ow - ox0, columns.upperBound - p)
            runs[runCount] = (dst: p - columns.lowerBound, src: oy * s * wp + ox0 * s, count: count)
            runCount += 1
            p += count
        }
        var c = rows.lowerBound / (kh * kw), i = (rows.lowerBound / kw) % kh, j = rows.lowerBound % kw
        var out = col
        for _ in rows {
            let base = padded + (c * planeSize + i * wp + j)
            for r in 0..<runCount {
                let run = runs[r]
                let dst = out + run.dst, src = base + run.src, n = run.count
                if s == 1 {
                    copyFloats(dst, src, n)
                } else {
                    for t in 0..<n { dst[t] = src[t &* s] }
                }
            }
            out += ld
            j += 1
            if j == kw { j = 0; i += 1; if i == kh { i = 0; c += 1 } }
        }
    }
}

/// Folds a `[C*kh*kw, OH*OW]` column matrix back onto one `C x H x W` image, ADDING into it.
///
/// The adjoint of `im2col`: where windows overlap their contributions sum, which is exactly the
/// input gradient of a convolution given `dCol = W^T * dY`. Padding positions are dropped.
public func col2im(_ col: UnsafePointer<Float>, _ g: ConvGeometry, addingInto image: UnsafeMutablePointer<Float>) {
    col2im(col, g, columns: 0..<g.colColumns, ld: g.colColumns, addingInto: image)
}

/// `col2im` for the output positions `columns` of a `[C*kh*kw, columns.count]` chunk with row stride `ld`.
public func col2im(_ col: UnsafePointer<Float>, _ g: ConvGeometry, columns: Range<Int>, ld: Int,
                   addingInto image: UnsafeMutablePointer<Float>) {
    let ow = g.outWidth
    for c in 0..<g.channels {
        let plane = image + c * g.height * g.width
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
                let row = col + ((c * g.kernelHeight + i) * g.kernelWidth + j) * ld - columns.lowerBound
                let valid = g.validOutputRange(kernelOffset: j, size: g.width, outSize: ow)
                var p = columns.lowerBound
                while p < columns.upperBound {
                    let oy = p / ow, ox0 = p - oy * ow
                    let ox1 = min(ow, ox0 + columns.upperBound - p)
                    let y = oy * g.stride - g.padding + i
                    let lo = max(ox0, valid.lowerBound), hi = min(ox1, valid.upperBound)
                    if y >= 0 && y < g.height && lo < hi {
                        let src = row + (p - ox0)
                        let dst = plane + (y * g.width + lo * g.stride - g.padding + j)
                        if g.stride == 1 {
                            addFloats(dst, src + lo, hi - lo)
                        } else {
                            for t in 0..<(hi - lo) { dst[t * g.stride] += src[lo + t] }
                        }
                    }
                    p += ox1 - ox0
                }
            }
        }
    }
}

// MARK: - Naive references (test oracles), accumulating in Double

/// Direct 2-D convolution (cross-correlation, as in PyTorch), the oracle for im2col + GEMM.
///
/// x: `[N, C, H, W]`, weight: `[O, C, kh, kw]`, bias: `[O]` or nil -> returns `[N, O, OH, OW]`.
public func conv2dReference(input x: [Float], weight w: [Float], bias: [Float]?,
                            batch n: Int, outChannels o: Int, geometry g: ConvGeometry) -> [Float] {
    precondition(x.count == n * g.imageCount && w.count == o * g.colRows, "conv2dReference: sizes do not match the geometry")
    let oh = g.outHeight, ow = g.outWidth
    var y = [Float](repeating: 0, count: n * o * oh * ow)
    for b in 0..<n {
        for oc in 0..<o {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var sum = Double(bias?[oc] ?? 0)
                    for c in 0..<g.channels {
                        for i in 0..<g.kernelHeight {
                            for j in 0..<g.kernelWidth {
                                let iy = oy * g.stride - g.padding + i, ix = ox * g.stride - g.padding + j
                                if iy < 0 || iy >= g.height || ix < 0 || ix >= g.width { continue }
                                let xv = x[((b * g.channels + c) * g.height + iy) * g.width + ix]
                                let wv = w[((oc * g.channels + c) * g.kernelHeight + i) * g.kernelWidth + j]
                                sum += Double(xv) * Double(wv)
                            }
                        }
                    }
                    y[((b * o + oc) * oh + oy) * ow + ox] = Float(sum)
                }
            }
        }
    }
    return y
}

/// Direct input gradient of a convolution: `dX[b,c,iy,ix] = sum dY[b,oc,oy,ox] * W[oc,c,i,j]` over windows covering the pixel.
///
/// dY: `[N, O, OH, OW]`, weight: `[O, C, kh, kw]` -> returns dX `[N, C, H, W]`.
public func conv2dInputGradientReference(outputGradient dY: [Float], weight w: [Float],
                                         batch n: Int, outChannels o: Int, geometry g: ConvGeometry) -> [Float] {
    let oh = g.outHeight, ow = g.outWidth
    var dX = [Double](repeating: 0, count: n * g.imageCount)
    for b in 0..<n {
        for oc in 0..<o {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let d = Double(dY[((b * o + oc) * oh + oy) * ow + ox])
                    for c in 0..<g.channels {
                        for i in 0..<g.kernelHeight {
                            for j in 0..<g.kernelWidth {
                                let iy = oy * g.stride - g.padding + i, ix = ox * g.stride - g.padding + j
                                if iy < 0 || iy >= g.height || ix < 0 || ix >= g.width { continue }
                                dX[((b * g.channels + c) * g.height + iy) * g.width + ix] +=
                                    d * Double(w[((oc * g.channels + c) * g.kernelHeight + i) * g.kernelWidth + j])
                            }
                        }
                    }
                }
            }
        }
    }
    return dX.map { Float($0) }
}

/// Direct weight gradient of a convolution: `dW[oc,c,i,j] = sum over b, oy, ox of dY[b,oc,oy,ox] * x[b,c,iy,ix]`.
///
/// dY: `[N, O, OH, OW]`, x: `[N, C, H, W]` -> returns dW `[O, C, kh, kw]`.
public func conv2dWeightGradientReference(outputGradient dY: [Float], input x: [Float],
                                          batch n: Int, outChannels o: Int, geometry g: ConvGeometry) -> [Float] {
    let oh = g.outHeight, ow = g.outWidth
    var dW = [Double](repeating: 0, count: o * g.colRows)
    for b in 0..<n {
        for oc in 0..<o {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let d = Double(dY[((b * o + oc) * oh + oy) * ow + ox])
                    for c in 0..<g.channels {
                        for i in 0..<g.kernelHeight {
                            for j in 0..<g.kernelWidth {
                                let iy = oy * g.stride - g.padding + i, ix = ox * g.stride - g.padding + j
                                if iy < 0 || iy >= g.height || ix < 0 || ix >= g.width { continue }
                                dW[((oc * g.channels + c) * g.kernelHeight + i) * g.kernelWidth + j] +=
                                    d * Double(x[((b * g.channels + c) * g.height + iy) * g.width + ix])
                            }
                        }
                    }
                }
            }
        }
    }
    return dW.map { Float($0) }
}
