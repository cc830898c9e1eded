#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora into Tests/Fixtures/fuzz-seeds/ (committed; run once, re-run to refresh).

Small valid inputs of each format robust reads, plus a few near-misses, so libFuzzer starts from
inputs that reach deep into each parser. Python's standard library only (the JPEGs through
libturbojpeg by ctypes). The ONNX fixtures (Tests/Fixtures/onnx) and attacks/*.yaml seed their
targets directly.
"""
import ctypes, ctypes.util, gzip, json, os, struct, sys, zlib

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "fuzz-seeds")

def write(target, name, data):
    folder = os.path.join(root, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def idx(dims, payload):
    return struct.pack(">I", 0x800 | len(dims)) + b"".join(struct.pack(">I", d) for d in dims) + bytes(payload)

images = idx([3, 5, 4], [(i * 37) % 256 for i in range(60)])
labels = idx([3], [0, 9, 4])
write("idx", "images-3x5x4", images)
write("idx", "labels-3", labels)
write("idx", "images-truncated", images[:-7])
write("idx-gzip", "images.gz", gzip.compress(images, mtime=0))
write("idx-gzip", "labels.gz", gzip.compress(labels, mtime=0))
write("idx-gzip", "two-members.gz", gzip.compress(images[:20], mtime=0) + gzip.compress(images[20:], mtime=0))

def png(width, height, channels, depth=8, interlace=0):
    color = {1: 0, 3: 2, 4: 6}[channels]
    rows = b"".join(b"\x00" + bytes((x * 16 + y * 8 + c * 50) % 256 for x in range(width) for c in range(channels))
                    for y in range(height))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")

write("png", "gray-5x4.png", png(5, 4, 1))
write("png", "rgb-3x3.png", png(3, 3, 3))
write("png", "rgba-2x2.png", png(2, 2, 4))

def jpeg(width, height, channels, progressive=False):
    """Encodes with libjpeg-turbo's TurboJPEG (the library robust decodes with), through ctypes."""
    tj = ctypes.CDLL(ctypes.util.find_library("turbojpeg") or "libturbojpeg.so.0")
    tj.tjInitCompress.restype = ctypes.c_void_p
    handle = ctypes.c_void_p(tj.tjInitCompress())
    pixels = bytes((x * 20 + y * 30 + c * 60) % 256 for y in range(height) for x in range(width) for c in range(channels))
    out, size = ctypes.POINTER(ctypes.c_ubyte)(), ctypes.c_ulong(0)
    TJPF_RGB, TJPF_GRAY, TJSAMP_420, TJSAMP_GRAY, TJFLAG_PROGRESSIVE = 0, 6, 2, 3, 16384
    status = tj.tjCompress2(handle, pixels, width, 0, height, TJPF_GRAY if channels == 1 else TJPF_RGB,
                            ctypes.byref(out), ctypes.byref(size), TJSAMP_GRAY if channels == 1 else TJSAMP_420, 90,
                            TJFLAG_PROGRESSIVE if progressive else 0)
    assert status == 0, "tjCompress2 failed"
    data = ctypes.string_at(out, size.value)
    tj.tjFree(out)
    tj.tjDestroy(handle)
    return data

write("jpeg", "gray-8x8.jpg", jpeg(8, 8, 1))
write("jpeg", "rgb-9x7.jpg", jpeg(9, 7, 3))
write("jpeg", "rgb-progressive-16x16.jpg", jpeg(16, 16, 3, progressive=True))

record = bytes([3]) + bytes((i * 7) % 256 for i in range(3072))
write("cifar", "one-record.bin", record)
write("cifar", "two-records.bin", record + bytes([9]) + record[1:])

def safetensors(tensors, metadata=None):
    header, body = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(body), len(body) + len(raw)]}
        body += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body

write("safetensors", "two-tensors.safetensors", safetensors({
    "0.weight": ("F32", [2, 3], struct.pack("<6f", *range(6))),
    "0.bias": ("F32", [2], struct.pack("<2f", 0.5, -0.5)),
}, {"format": "pt"}))
write("safetensors", "counter.safetensors", safetensors({
    "1.num_batches_tracked": ("I64", [], struct.pack("<q", 7)),
    "1.running_mean": ("F32", [1], struct.pack("<f", 0.1)),
}))

write("gate", "full.yaml", "require:\n  - clean>=0.90\n  - pgd@0.05>=0.10\n  - 'pgd:l2@0.5>=60%'\nbaseline: reports/baseline/results.json\n"
      "max_drop: 0.02\nwilson: true\nfail_on: [regression, requirement]\n")
write("gate", "empty.yaml", "")
write("gate", "flow.yaml", "{require: [clean>=90%], max_drop: 2%}\n")

for i, text in enumerate(["0,0.05,0.1", "0:0.3:0.05", "8/255", "0, 1/255 ,2/255,4/255", "1e-3:2e-1:1e-2"]):
    write("eps", f"eps-{i}", text)
for i, text in enumerate(["clean>=0.90", "pgd@8/255>=0.40", "pgd:l2@0.5>=60%", "apgd-ce@0.1 < 0.5", "square:linf@0.05>10%"]):
    write("requirement", f"req-{i}", text)
print(f"seeds written under {os.path.relpath(root)}", file=sys.stderr)
