import Foundation

/// A 64-byte aligned float buffer, freed when the last reference goes.
public final class AlignedBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        self.count = count
        let bytes = max(1, count) * 4
        // Large buffers start on a 2 MiB boundary and ask for transparent huge pages (as numpy does
        // for its arrays): a packed B block or a whole-batch column matrix then costs a few TLB
        // entries instead of a thousand.
        let hugePage = 2 << 20
        let large = bytes >= 2 * hugePage
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: large ? hugePage : 64)
        #if os(Linux)
        if large { _ = madvise(raw, (bytes / hugePage) * hugePage, MADV_HUGEPAGE) }
        #endif
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// A pool of packing and im2col buffers, so hot loops never allocate.
///
/// Why a pool and not a per-call allocation: a GEMM inside a per-image convolution runs
/// thousands of times per batch, and a fresh 100 KiB-1 MiB allocation each time costs page
/// faults that rival the arithmetic. Buffers are handed out to one user at a time. Each
/// `ExecutionContext` owns one.
public final class WorkspacePool: @unchecked Sendable {
    public init() {}
    private var free: [AlignedBuffer] = []
    private let lock = NSLock()

    /// Runs `body` with a buffer of at least `count` floats (contents undefined).
    public func with<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let buffer = take(count)
        defer { give(buffer) }
        return try body(buffer.pointer)
    }

    private func take(_ count: Int) -> AlignedBuffer {
        lock.lock()
        defer { lock.unlock() }
        // Smallest free buffer that fits; otherwise a new one.
        var best: Int?
        for (i, b) in free.enumerated() where b.count >= count {
            if best == nil || b.count < free[best!].count { best = i }
        }
        if let best { return free.remove(at: best) }
        return AlignedBuffer(count: count)
    }

    private func give(_ buffer: AlignedBuffer) {
        lock.lock()
        defer { lock.unlock() }
        free.append(buffer)
        // Bound what is kept: drop the smallest when the pool grows past 32 buffers.
        if free.count > 32, let i = free.indices.min(by: { free[$0].count < free[$1].count }) {
            free.remove(at: i)
        }
    }
}
