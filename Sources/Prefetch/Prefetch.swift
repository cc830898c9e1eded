/// A software prefetch hint (`prefetcht0`), which Swift has no public API for.
///
/// This target is compiled with `-parse-stdlib` so that it can call LLVM's prefetch intrinsic
/// through `Builtin`; nothing else here needs that flag. Why: the GEMM asks for memory that the
/// hardware prefetcher would not fetch in time: the micro-kernel's C tile before its k loop (rows far
/// apart) and the B row 8 steps ahead (a micro-panel larger than L1, streaming from L2; both in
/// Sources/KernelsAVX512/MicroKernel8x32.swift), and `packB` the next panel's part of each B row
/// (Sources/Kernels/GEMM+Packing.swift).
import Swift

@_transparent
public func prefetchForRead(_ pointer: UnsafeRawPointer) {
    Builtin.int_prefetch_RawPointer(pointer._rawValue, Builtin.zeroInitializer(), (3 as Int32)._value, (1 as Int32)._value)
}
