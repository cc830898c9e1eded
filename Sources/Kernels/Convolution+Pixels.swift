/// `C := alpha * A * im2col(image) (+ rowBias)` for one image by the pixel tile: 7 output pixels of a
/// row x 32 output channels per tile, read in place from the zero-padded image at any stride.
///
/// Why: the in-place GEMM tile computes the padding columns of every output row and splits strided
/// images into phases; resnet-lite's 14x14 and 7x7 layers and the cnn's second layer ran at 60-75 % of
/// the core's peak that way, its stride-2 layers at 40-50 % (BENCHMARKS.md, 2026-12-01, fourth session).
/// Bit-identical to the other forward paths (same FMA chain per output: `takesPixelTiles` admits only
/// one k pass). `blocks` is `PackedA.channelBlocks`; rows past a row's end are not computed: the last
/// tile of a row starts `ow - 7` (equal values stored twice).
func convolvePixels(_ tile: DirectConvolutionTiles.Pixels, blocks: UnsafePointer<Float>, m: Int, k: Int,
                    image: UnsafePointer<Float>, geometry g: ConvGeometry, alpha: Float, rowBias: UnsafePointer<Float>?,
                    c: UnsafeMutablePointer<Float>, ldc: Int, context: ExecutionContext) {
    let width = DirectConvolutionTiles.pixelWidth, channels = DirectConvolutionTiles.pixelChannels
    precondition(g.outWidth >= width && m % channels == 0 && k == g.colRows, "convolvePixels: \(m) x \(k) on \(g)")
    let p = g.padding, s = g.stride, hp = g.height + 2 * p, wp = g.width + 2 * p, oh = g.outHeight, ow = g.outWidth
    func run(_ source: UnsafePointer<Float>) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: k) { offsets in
            fillTapOffsets(g, into: offsets.baseAddress!)
            for block in 0..<(m / channels) {
                let w = blocks + block * k * channels, bias = rowBias.map { $0 + block * channels }
                let out = c + block * channels * ldc
                for oy in 0..<oh {
                    var x = 0
                    while x < ow {
                        let at = min(x, ow - width)
                        tile(k, alpha, w, source + oy * s * wp + at * s, offsets.baseAddress!, s, bias, out + oy * ow + at,
                             ldc, channels)
                        x += width
                    }
                }
            }
        }
    }
    // An unpadded image is read where it is.
    if p == 0 { return run(image) }
    context.workspaces.with(g.channels * hp * wp) { padded in
        padImage(image, g, into: padded)
        run(UnsafePointer(padded))
    }
}
