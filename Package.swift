// swift-tools-version:5.9
import PackageDescription

/// Micro-kernel targets are compiled for one CPU level each and picked at run time
/// (see Sources/Kernels/MicroKernel+Selection.swift), so one binary runs everywhere and
/// uses AVX-512 where the CPU has it. The flags only make sense on x86-64 hosts.
#if arch(x86_64)
let avx512Flags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v4"])]
let avx2Flags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]
#else
let avx512Flags: [SwiftSetting] = []
let avx2Flags: [SwiftSetting] = []
#endif

// Linux only (README, "Platform"): the worker pool, the process memory policy and the CPU-feature probe are
// written and tested for Linux; the Darwin branches elsewhere are not built by any CI.
let package = Package(
    name: "robust",
    products: [
        .executable(name: "robust", targets: ["robust"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // Kernels layer: the GEMM framework plus per-ISA micro-kernels.
        .target(name: "Prefetch", swiftSettings: [.unsafeFlags(["-parse-stdlib"])]),
        .target(name: "KernelsAVX512", dependencies: ["Prefetch"], swiftSettings: avx512Flags),
        .target(name: "KernelsAVX2", swiftSettings: avx2Flags),
        .target(name: "Kernels", dependencies: ["KernelsAVX512", "KernelsAVX2", "Prefetch"]),
        .target(name: "TensorCore"),
        .target(name: "NN", dependencies: ["TensorCore", "Kernels"]),
        // ONNX's schema as Swift types, generated once by scripts/gen_onnx_proto.sh (no build plugin).
        .target(name: "ONNXProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "Models", dependencies: ["NN", "TensorCore", "Kernels", "ONNXProto", "Files", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                                              .product(name: "Crypto", package: "swift-crypto")]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .target(name: "Files"),
        .target(name: "Datasets", dependencies: ["TensorCore", "CZlib", "CPNG", "CJPEG"]),
        .target(name: "Attacks", dependencies: ["Kernels", "NN", "TensorCore"]),
        .target(name: "Certify", dependencies: ["NN", "TensorCore", "Kernels"]),
        .target(name: "Metrics"),
        // DP-SGD accounting and membership-inference statistics (issue #19): pure math, no tensors.
        .target(name: "Privacy"),
        .target(name: "Reports", dependencies: ["Metrics", "Files", "CPNG"]),
        // The workflows `robust` runs, one target each over a shared base; `Harness` is their facade.
        .target(name: "Workflow", dependencies: ["Datasets", "Models", "Metrics", "Files"]),
        .target(name: "Evaluating", dependencies: ["Workflow", "Attacks", "Certify", "Datasets", "Models", "NN", "Metrics", "Reports", "Files",
                                                   .product(name: "Yams", package: "Yams")]),
        .target(name: "Training", dependencies: ["Workflow", "Attacks", "Certify", "Datasets", "Models", "NN", "Metrics", "Files", "Privacy"]),
        .target(name: "Gating", dependencies: ["Workflow", "Metrics", "Reports", "Files", .product(name: "Yams", package: "Yams")]),
        .target(name: "Benchmarking", dependencies: ["Workflow", "Kernels", "TensorCore", "NN", "Attacks", "Datasets", "Models"]),
        // robust privacy: membership-inference audits; above the workflows because LiRA trains shadow models.
        .target(name: "Auditing", dependencies: ["Workflow", "Training", "Privacy", "Models", "NN", "TensorCore", "Kernels", "Datasets",
                                                 "Reports"]),
        .target(name: "Harness", dependencies: ["Workflow", "Evaluating", "Training", "Gating", "Benchmarking", "Auditing", "Attacks", "Kernels",
                                                "Models", "Metrics", "Reports", "Files"]),
        .executableTarget(name: "robust", dependencies: [
            "Harness", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "_TestSupport", dependencies: ["TensorCore", "NN", "Kernels", "Models", "Reports", "CJPEG"]),
        // libFuzzer harnesses (`make fuzz`); the table is a library so the tests replay saved findings.
        .target(name: "_FuzzTargets", dependencies: ["Datasets", "Models", "Metrics", "Harness"]),
        .executableTarget(name: "robust-fuzz", dependencies: ["_FuzzTargets"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "_TestSupport"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "_TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Kernels", "_TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "NN", "Kernels", "ONNXProto", "Workflow", "_TestSupport"]),
        // Imported ONNX fixtures (Tests/Fixtures/onnx, made by scripts/make_onnx_fixtures.py) against PyTorch's figures.
        .testTarget(name: "ONNXTests", dependencies: ["Models", "Attacks", "Datasets", "_TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "CZlib", "_TestSupport"]),
        .testTarget(name: "AttacksTests", dependencies: ["Attacks", "Kernels", "NN", "Models", "Datasets", "_TestSupport"]),
        .testTarget(name: "CertifyTests", dependencies: ["Certify", "NN", "Kernels", "_TestSupport"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Reports", "Files"]),
        .testTarget(name: "PrivacyTests", dependencies: ["Privacy"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Metrics", "CPNG"], exclude: ["Golden"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["_FuzzTargets"]),
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "Attacks", "Certify", "Kernels", "NN", "Models", "Datasets", "Metrics", "Reports", "Privacy", "Auditing", "_TestSupport"]),
    ]
)
