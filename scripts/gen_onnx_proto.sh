#!/usr/bin/env bash
# Regenerates Sources/ONNXProto/onnx.pb.swift from ONNX's own schema (onnx/onnx.proto inside the
# `onnx` wheel on PyPI; version below). Run by hand when the schema should move; the generated file
# is committed, so builds need neither protoc nor swift-protobuf's SwiftPM plugin.
# Needs: protoc (Debian's protobuf-compiler), pip, and protoc-gen-swift built from swift-protobuf
# 1.39.0 (clone the package, `swift build -c release --product protoc-gen-swift`), given as
# $PROTOC_GEN_SWIFT.
set -euo pipefail
cd "$(dirname "$0")/.."
ONNX_VERSION=1.23.2
: "${PROTOC_GEN_SWIFT:?set PROTOC_GEN_SWIFT to the protoc-gen-swift binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download -q --no-deps --only-binary=:all: -d "$work" "onnx==$ONNX_VERSION"
unzip -q -o "$work"/onnx-*.whl 'onnx/onnx.proto' -d "$work"
protoc --plugin=protoc-gen-swift="$PROTOC_GEN_SWIFT" --swift_opt=Visibility=Public \
  --proto_path="$work/onnx" --swift_out=Sources/ONNXProto "$work/onnx/onnx.proto"
echo "wrote Sources/ONNXProto/onnx.pb.swift from onnx $ONNX_VERSION"
