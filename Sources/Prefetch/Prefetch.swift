/// A software prefetch hint (`prefetcht0`), which Swift has no public API for.
///
/// This target is compiled with `-parse-stdlib` so that it can call LLVM's prefetch intrinsic
/// through `Builtin`; nothing else here needs that flag. Why: the GEMM micro-kernel asks for its
/// C tile while it multiplies, so the tile's rows (far apart in memory) arrive before they are
/// read and written (see Sources/KernelsAVX512/MicroKernel8x32.swift).
import Swift

@_transparent
public func prefetchForRead(_ pointer: UnsafeRawPointer) {
    Builtin.int_prefetch_RawPointer(pointer._rawValue, Builtin.zeroInitializer(), (3 as Int32)._value, (1 as Int32)._value)
}
