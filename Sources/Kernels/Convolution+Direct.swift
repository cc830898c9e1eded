/// Direct tiles: a stride-1 forward whose output rows are at least 16 wide (a first layer's, depth
/// `C*kh*kw` of 9-27, at any width; deeper ones at widths like 28 or 32), and a first layer's input
/// gradient's W^T dY (9 rows per input channel for a 3x3 window).
///
/// Why: the GEMM paths ran first layers at a fifth of the micro-kernel's speed. A forward tile of 9 k
/// steps costs less than storing its C tile and copying the kept columns out (deeper layers save the
/// copy-out and the dropped padding columns too); W^T dY's 9 rows took two 8-row tiles and a packed
/// copy of dY. These tiles keep their accumulators in registers, read their source in place and store
/// each vector once, in the same order of float operations as the GEMM tile (bit-identical).
public struct DirectConvolutionTiles: Sendable {
    /// See `directConvolutionAVX512`.
    public typealias Forward = @Sendable (
        _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ source: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>,
        _ s0: Int, _ s1: Int, _ rowBias: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>, _ ldo: Int,
        _ d0: Int, _ d1: Int, _ rows: Int
    ) -> Void

    /// See `nineTapColumnsAVX512`.
    public typealias NineTapColumns = @Sendable (
        _ depth: Int, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) -> Void

    /// See `pixelTileAVX512` and `convolvePixels`.
    public typealias Pixels = @Sendable (
        _ k: Int, _ alpha: Float, _ w: UnsafePointer<Float>, _ source: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>,
        _ stride: Int, _ rowBias: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>, _ ldo: Int, _ rows: Int
    ) -> Void

    public let forward: Forward
    public let nineTapColumns: NineTapColumns
    public let pixels: Pixels
    /// Output rows per forward tile (the packed A micro-panel's height).
    public static let rows = 8
    /// Columns per vector; outputs narrower than this take the GEMM paths.
    public static let width = 16
    /// Forwards at most this deep (`C*kh*kw`) run directly at any output width; deeper ones only when
    /// their vectors waste at most an eighth of a row (BENCHMARKS.md, 2026-12-01).
    public static let shallowDepth = 27

    /// Output positions per nine-tap tile; smaller images take the GEMM path.
    public static let nineTapWidth = 32

    /// Output pixels and channels per pixel tile.
    public static let pixelWidth = 7, pixelChannels = 32
    /// Pixel tiles only from this depth: shallower, the per-tile transpose to the output planes costs
    /// more than the padding columns it saves (a first layer's depth 9 ran 3x slower).
    public static let pixelMinimumDepth = 64

    public init(forward: @escaping Forward, nineTapColumns: @escaping NineTapColumns, pixels: @escaping Pixels) {
        self.forward = forward
        self.nineTapColumns = nineTapColumns
        self.pixels = pixels
    }
}

/// The vectors that cover an output grid `rows x width` (`width >= 16`): vector `v` starts at row
/// `v / perRow`, column `min(16 * (v % perRow), width - 16)` (a row's last vector overlaps the one
/// before instead of going scalar).
struct DirectVectors {
    let perRow: Int, width: Int, count: Int

    init(rows: Int, width: Int) {
        precondition(width >= DirectConvolutionTiles.width, "DirectVectors: width \(width) below a vector")
        perRow = (width + DirectConvolutionTiles.width - 1) / DirectConvolutionTiles.width
        self.width = width
        count = rows * perRow
    }

    /// Row and column where vector `v` starts.
    @inline(__always)
    func start(_ v: Int) -> (row: Int, column: Int) {
        let (row, j) = v.quotientAndRemainder(dividingBy: perRow)
        return (row, min(j * DirectConvolutionTiles.width, width - DirectConvolutionTiles.width))
    }
}

extension ConvGeometry {
    /// Whether the direct tile runs this forward: stride 1, the output at least a vector wide, one k
    /// pass, and either a shallow depth (where the GEMM tile's store and copy-out cost more than its
    /// few k steps) or rows the vectors cover with at most an eighth wasted (28 or 32 wide, not 17
    /// or 24: the GEMM tile wastes only the `kw - 1` padding columns of a row).
    public func takesDirectForward(depth: Int, kc: Int) -> Bool {
        guard stride == 1 && outWidth >= DirectConvolutionTiles.width && depth <= kc else { return false }
        let covered = DirectVectors(rows: 1, width: outWidth).perRow * DirectConvolutionTiles.width
        return depth <= DirectConvolutionTiles.shallowDepth || 8 * (covered - outWidth) <= covered
    }
}

/// `C := alpha * A * im2col(image) (+ rowBias)` for one image, by the direct forward tile (see
/// `ConvGeometry.takesDirectForward`). A's micro-panels are 8 rows; C is `m x (OH*OW)` with row stride `ldc`.
func convolveDirect(_ tile: DirectConvolutionTiles.Forward, packedA: PackedA, image: UnsafePointer<Float>,
                    geometry g: ConvGeometry, alpha: Float, rowBias: UnsafePointer<Float>?,
                    c: UnsafeMutablePointer<Float>, ldc: Int, context: ExecutionContext) {
    precondition(packedA.mr == DirectConvolutionTiles.rows, "convolveDirect: A packed in \(packedA.mr)-row panels")
    let m = packedA.m, k = packedA.k, p = g.padding
    let hp = g.height + 2 * p, wp = g.width + 2 * p, ow = g.outWidth
    let vectors = DirectVectors(rows: g.outHeight, width: ow)
    context.workspaces.with(g.channels * hp * wp) { padded in
    withUnsafeTemporaryAllocation(of: Int.self, capacity: k) { offsets in
        padImage(image, g, into: padded)
        fillTapOffsets(g, into: offsets.baseAddress!)
        var i = 0
        while i < m {
            let rows = min(DirectConvolutionTiles.rows, m - i), a = packedA.block(row: i, pc: 0, kc: k)
            let bias = rowBias.map { $0 + i }, out = c + i * ldc
            var v = 0
            while v < vectors.count {
                // Two vectors per tile; an odd last one is paired with itself.
                let first = vectors.start(v), second = vectors.start(min(v + 1, vectors.count - 1))
                tile(k, alpha, a, padded, offsets.baseAddress!, first.row * wp + first.column, second.row * wp + second.column,
                     bias, out, ldc, first.row * ow + first.column, second.row * ow + second.column, rows)
                v += 2
            }
            i += DirectConvolutionTiles.rows
        }
    }}
}

/// dX of one image for a stride-1 3x3 convolution, `g` its forward geometry: W^T dY by the nine-tap
/// tile, one input channel at a time, into a `[C*9, OH*OW]` column matrix, then `col2imGather`.
/// `weights` is `[C][O][9]` (the layer's taps, input channel outermost); `OH*OW >= 32`.
public func convolutionInputGradientByNineTaps(_ dY: UnsafePointer<Float>, outChannels o: Int, geometry g: ConvGeometry,
                                               weights: UnsafePointer<Float>, into dX: UnsafeMutablePointer<Float>,
                                               context: ExecutionContext) {
    guard let tile = context.gemm.kernel.direct?.nineTapColumns else {
        preconditionFailure("convolutionInputGradientByNineTaps: kernel \(context.gemm.kernel.name) has no direct tiles")
    }
    let spatial = g.colColumns, width = DirectConvolutionTiles.nineTapWidth
    precondition(g.stride == 1 && g.kernelHeight == 3 && g.kernelWidth == 3 && spatial >= width,
                 "convolutionInputGradientByNineTaps: geometry \(g) not supported")
    context.workspaces.with(g.colRows * spatial) { col in
        for ch in 0..<g.channels {
            var q = 0
            while q < spatial {
                // The last tile overlaps the one before rather than read past dY (equal values stored twice).
                let at = min(q, spatial - width)
                tile(o, weights + ch * o * 9, dY + at, spatial, col + ch * 9 * spatial + at, spatial)
                q += width
            }
        }
        col2imGather(col, g, into: dX)
    }
}
