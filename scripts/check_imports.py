#!/usr/bin/env python3
"""Checks who may import whom (ARCHITECTURE.md, "Targets"), against the package as built.

1. Every `import X` in Sources/T and Tests/T names a dependency T declares in Package.swift (read with
   `swift package dump-package`), or a system module: a target cannot lean on what another brings in.
2. Declared dependencies point strictly down the layers below: nothing imports upward or sideways
   (the four workflows never import each other; Attacks never sees Models; Reports never sees tensors).
3. The CLI imports one library target, Harness.
Run by `make test`; prints each violation and exits 1, or prints one line and exits 0.
"""
import json, os, re, subprocess, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# Lowest first. A target may depend only on targets of a lower layer.
LAYERS = [
    ["Prefetch", "CZlib", "CPNG", "CJPEG", "SwiftProtobuf", "Crypto", "Yams", "ArgumentParser"],
    ["KernelsAVX512", "KernelsAVX2"],
    ["Kernels", "Files", "Metrics", "ONNXProto", "Privacy"],
    ["TensorCore"],
    ["NN", "Datasets", "Reports"],
    ["Models", "Attacks", "Certify"],
    ["Workflow"],
    ["Evaluating", "Training", "Gating", "Benchmarking"],
    ["Auditing"],
    ["Harness"],
    ["robust"],
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
SYSTEM = {"Foundation", "Dispatch", "Glibc", "Darwin", "XCTest", "Synchronization", "Swift", "_Concurrency",
          "FoundationEssentials", "FoundationXML"}
# Where the layer rule alone would allow more than the design does.
FORBIDDEN = {"Reports": {"TensorCore", "NN", "Kernels"}, "Metrics": set(RANK) - {"Metrics"}, "Privacy": set(RANK) - {"Privacy"}}

package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True,
                                    capture_output=True, text=True).stdout)
declared = {}
for target in package["targets"]:
    deps = set()
    for dependency in target.get("dependencies", []):
        (kind, value), = dependency.items()
        deps.add(value[0])
    declared[target["name"]] = (target["type"], deps)

problems = []
for name, (kind, deps) in declared.items():
    folder = os.path.join(root, "Tests" if kind == "test" else "Sources", name)
    for dirpath, _, files in os.walk(folder):
        for file in files:
            if not file.endswith(".swift"):
                continue
            path = os.path.join(dirpath, file)
            for line in open(path, encoding="utf-8"):
                m = re.match(r"\s*(?:@_exported\s+)?import\s+(?:(?:class|struct|enum|protocol|func|typealias|var|let)\s+)?(\w+)", line)
                if m and m.group(1) not in SYSTEM and m.group(1) not in deps and m.group(1) != name:
                    problems.append(f"{os.path.relpath(path, root)}: imports {m.group(1)}, which {name} does not declare in Package.swift")
    if kind == "test" or name.startswith("_") or name == "robust-fuzz":
        continue
    if name not in RANK:
        problems.append(f"{name}: not in a layer; add it to LAYERS in scripts/check_imports.py and to ARCHITECTURE.md")
        continue
    for dep in deps:
        if dep in RANK and RANK[dep] >= RANK[name]:
            problems.append(f"{name} depends on {dep}, which is not in a lower layer (see ARCHITECTURE.md)")
        if dep in FORBIDDEN.get(name, set()):
            problems.append(f"{name} depends on {dep}, which ARCHITECTURE.md rules out")
cli = {d for d in declared["robust"][1] if d != "ArgumentParser"}
if cli != {"Harness"}:
    problems.append(f"the CLI depends on {sorted(cli)}; it imports Harness alone")

for p in problems:
    print("check_imports: " + p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"check_imports: {len(declared)} targets, every import declared and every dependency downward")
