import Foundation
import KernelsAVX512
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MicroKernel {
    /// The fastest micro-kernel this CPU can run. An `ExecutionContext` asks once, when it is made.
    ///
    /// `ROBUST_KERNEL=avx512|avx2|portable` in `environment` overrides the choice (for tests and
    /// benchmarks); asking for a kernel the CPU lacks falls back to the detected one rather than crashing.
    public static func detected(environment: [String: String] = ProcessInfo.processInfo.environment) -> MicroKernel {
        let supported = self.supported
        if let forced = environment["ROBUST_KERNEL"], let kernel = supported.first(where: { $0.name.hasPrefix(forced) }) {
            return kernel
        }
        return supported.first ?? .portable
    }

    /// Every kernel this CPU can run, best first (tests check each against the reference).
    public static var supported: [MicroKernel] {
        all.filter { CPUFeatures.current.supports($0) }
    }
}

/// The instruction-set extensions the micro-kernels need, read from the OS.
struct CPUFeatures {
    /// This machine's, read once: a fact of the hardware (and OS), not a setting, and reading
    /// /proc/cpuinfo each time an `ExecutionContext` is made cost a file read per context.
    static let current = CPUFeatures.detect()

    var avx512f = false
    var avx2 = false
    var fma = false

    func supports(_ kernel: MicroKernel) -> Bool {
        switch kernel.name {
        case MicroKernel.avx512.name: return avx512f && fma
        case MicroKernel.avx2.name: return avx2 && fma
        default: return true
        }
    }

    /// Linux: the `flags` line of /proc/cpuinfo (the kernel clears flags the OS does not
    /// enable, e.g. AVX-512 state saving). macOS: `hw.optional.*` sysctls. Elsewhere: none.
    static func detect() -> CPUFeatures {
        var f = CPUFeatures()
        #if arch(x86_64)
        #if os(Linux)
        if let text = try? String(contentsOfFile: "/proc/cpuinfo"),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) {
            let flags = Set(line.split(separator: " ").map(String.init))
            f.avx512f = flags.contains("avx512f")
            f.avx2 = flags.contains("avx2")
            f.fma = flags.contains("fma")
        }
        #elseif canImport(Darwin)
        func sysctlFlag(_ name: String) -> Bool {
            var value: Int32 = 0
            var size = MemoryLayout<Int32>.size
            return sysctlbyname(name, &value, &size, nil, 0) == 0 && value != 0
        }
        f.avx512f = sysctlFlag("hw.optional.avx512f")
        f.avx2 = sysctlFlag("hw.optional.avx2_0")
        f.fma = sysctlFlag("hw.optional.fma")
        #endif
        #endif
        return f
    }
}

extension MicroKernel {
    /// A register-only FMA loop in this kernel's instruction set (`iterations` x 16 FMAs on 32
    /// lanes), for `robust bench peak`; nil for kernels without one (only AVX-512 has it).
    public var fmaPeakProbe: ((Int) -> Float)? {
        name == MicroKernel.avx512.name ? { fmaPeakProbeAVX512($0, 1) } : nil
    }
}
