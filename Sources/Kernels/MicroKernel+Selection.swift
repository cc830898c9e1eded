import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MicroKernel {
    /// The fastest micro-kernel this CPU can run, chosen once at start-up.
    ///
    /// `ROBUST_KERNEL=avx512|avx2|portable` overrides the choice (for tests and benchmarks);
    /// asking for a kernel the CPU lacks falls back to the detected one rather than crashing.
    public static let best: MicroKernel = {
        let features = CPUFeatures.detect()
        let supported = all.filter { features.supports($0) }
        if let forced = getenv("ROBUST_KERNEL").map({ String(cString: $0) }),
           let kernel = supported.first(where: { $0.name.hasPrefix(forced) }) {
            return kernel
        }
        return supported.first ?? .portable
    }()

    /// Every kernel this CPU can run, best first (tests check each against the reference).
    public static var supported: [MicroKernel] {
        let features = CPUFeatures.detect()
        return all.filter { features.supports($0) }
    }
}

/// The instruction-set extensions the micro-kernels need, read from the OS.
struct CPUFeatures {
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
