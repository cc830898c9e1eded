#!/usr/bin/env python3
"""Make the ONNX fixture models of Tests/Fixtures/onnx/ and their golden values.

Trains four small models briefly with PyTorch (seeded with torch.manual_seed, so a re-run reproduces
them as closely as torch allows), exports them to ONNX and writes, into Tests/Fixtures/onnx/:
  * lenet.onnx          LeNet-style CNN, 1x28x28 Fashion-MNIST, TorchScript exporter, opset 13,
                        dynamic batch (x.view(x.size(0), -1) -> Shape/Gather/Unsqueeze/Concat/Reshape);
  * mlp_norm.onnx       784-128-64-10 MLP with (x - 0.2860) / 0.3530 in the graph, dynamo exporter,
                        opset 18, dynamic batch; mlp_norm_softmax.onnx: the same weights ending in Softmax;
  * resnet.onnx         small ResNet (BasicBlocks 16/32/64), 1x28x28 Fashion-MNIST, TorchScript exporter,
                        opset 17, BatchNorms folded into the convs by the exporter;
  * preact_resnet.onnx  small pre-activation ResNet on 3x32x32 "coloured Fashion-MNIST", opset 17,
                        BatchNormalization nodes kept, a Conv with asymmetric pads (a ZeroPad2d's Pad
                        folded into it here), an AveragePool;
  * golden.json         per model: exporter, opset, op histogram, parameter count, logits (onnxruntime)
                        on deterministic LCG probe inputs, clean accuracy, FGSM predictions (float64
                        gradients and torchattacks) and torchattacks PGD-10 robust accuracy on the first
                        1000 test images.
Tests/Fixtures/onnx/README.md describes the files, the coloured Fashion-MNIST formula and the LCG.

Usage: python3 scripts/make_onnx_fixtures.py [--only lenet,mlp_norm,resnet,preact_resnet]
(--only rebuilds just those models and keeps the other entries of golden.json). Takes a few minutes on
2 cores. Not part of `make test`: the Swift tests only read its output.
Creates .venv-torch (torch 2.13.0+cpu, safetensors, numpy) on first run, installs onnx, onnxruntime,
onnxscript, scipy, requests and torchattacks==3.5.1 (--no-deps) into it, and re-runs itself there.
Needs the Fashion-MNIST IDX files in /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist).
"""
import argparse
import collections
import copy
import gzip
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "onnx")
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def ensure_packages():
    """Installs the ONNX tools and torchattacks into the venv if they are missing."""
    try:
        import onnx, onnxruntime, onnxscript, scipy, torchattacks  # noqa: F401,E401
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q",
                               "onnx", "onnxruntime", "onnxscript", "scipy", "requests"])
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "torchattacks==3.5.1"])


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_pytorch  # noqa: E402,F401  (creates .venv-torch and re-runs this script inside it)
ensure_packages()

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchattacks  # noqa: E402
from onnx import helper  # noqa: E402

SUPPORTED_OPS = {
    "Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Sigmoid", "Tanh",
    "MaxPool", "AveragePool", "GlobalAveragePool", "BatchNormalization", "Flatten", "Reshape",
    "Transpose", "Pad", "Identity", "Dropout", "Constant", "Shape", "Gather", "Unsqueeze", "Squeeze",
    "Concat", "Softmax", "LogSoftmax",
}
EVAL_COUNT = 1000
FGSM_EPS = [0.02, 0.05]
PGD_EPS, PGD_STEPS = 0.05, 10
PGD_ALPHA = 2.5 * PGD_EPS / PGD_STEPS
INPUT_NAME, OUTPUT_NAME = "input", "logits"

# --- Data ---------------------------------------------------------------------------------------

PALETTE = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
           (70, 240, 240)]
BACKGROUND = [(0, 0, 0), (40, 40, 40), (90, 60, 30), (20, 40, 90), (60, 20, 60)]


def idx(name):
    with gzip.open(os.path.join(FASHION_MNIST, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion_mnist(split):
    """(uint8 images [N,28,28], int64 labels [N]) of split 'train' or 't10k'."""
    return idx(f"{split}-images-idx3-ubyte.gz"), idx(f"{split}-labels-idx1-ubyte.gz").astype(np.int64)


def grey(images):
    """float32 [N,1,28,28] in [0,1]."""
    return (images.astype(np.float32) / 255.0)[:, None]


def coloured_bytes(images, start=0):
    """uint8 [N,3,32,32]: image i (index start+i in its split) padded by 2 zeros on each side,
    byte_c = (g*fg[c] + (255-g)*bg[c]) // 255 with fg = PALETTE[i % 7], bg = BACKGROUND[(i // 7) % 5]."""
    n = len(images)
    g = np.zeros((n, 32, 32), dtype=np.int64)
    g[:, 2:30, 2:30] = images
    i = np.arange(start, start + n)
    fg = np.array(PALETTE, dtype=np.int64)[i % 7]            # [N,3]
    bg = np.array(BACKGROUND, dtype=np.int64)[(i // 7) % 5]  # [N,3]
    out = (g[:, None] * fg[:, :, None, None] + (255 - g[:, None]) * bg[:, :, None, None]) // 255
    return out.astype(np.uint8)


def coloured(images, start=0):
    return coloured_bytes(images, start).astype(np.float32) / 255.0


def lcg_probe(seed, shape):
    """float32 array of shape: state = seed; per element (row-major) state = state*6364136223846793005 +
    1442695040888963407 mod 2^64, pixel = (state >> 56) / 255."""
    state = seed % (1 << 64)
    count = int(np.prod(shape))
    out = np.empty(count, dtype=np.float32)
    for k in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        out[k] = np.float32((state >> 56) / 255.0)
    return out.reshape(shape)


# --- Models -------------------------------------------------------------------------------------

class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class MLPNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = (x - 0.2860) / 0.3530
        x = self.flatten(x)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class Normalize(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.normalize = Normalize([0.2860], [0.3530])
        self.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = BasicBlock(16, 16, 1)
        self.layer2 = BasicBlock(16, 32, 2)
        self.layer3 = BasicBlock(32, 64, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(self.normalize(x))))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class PreActBlock(nn.Module):
    """BN -> ReLU -> Conv twice; the shortcut (1x1 conv when the shape changes) takes relu(bn1(x)).
    same_pad=True downsamples TF-'SAME' style: ZeroPad2d((0,1,0,1)) then a 3x3 stride-2 conv without padding."""

    def __init__(self, cin, cout, stride, same_pad=False):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        if same_pad:
            self.conv1 = nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(cin, cout, 3, stride, 0, bias=False))
        else:
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x):
        out = F.relu(self.bn1(x))
        shortcut = x if self.shortcut is None else self.shortcut(out)
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + shortcut


class PreActResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.normalize = Normalize([0.30, 0.25, 0.20], [0.30, 0.28, 0.25])
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.layer1 = PreActBlock(16, 16, 1)
        self.layer2 = PreActBlock(16, 32, 2, same_pad=True)
        self.layer3 = PreActBlock(32, 64, 2)
        self.bn = nn.BatchNorm2d(64)
        self.avgpool = nn.AvgPool2d(2)
        self.fc = nn.Linear(64 * 4 * 4, 10)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.conv1(self.normalize(x)))))
        x = self.avgpool(F.relu(self.bn(x)))
        return self.fc(torch.flatten(x, 1))


# --- Training, export, evaluation ----------------------------------------------------------------

def train(model, x, y, epochs, batch=128, lr=1e-3, seed=0):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    for epoch in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(x), batch):
            b = perm[i:i + batch]
            loss = F.cross_entropy(model(x[b]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(b)
        print(f"    epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}", flush=True)
    return model.eval()


def export_torchscript(model, shape, path, opset):
    dummy = torch.zeros(1, *shape)
    torch.onnx.export(model, (dummy,), path, dynamo=False, opset_version=opset, do_constant_folding=True,
                      input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                      dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}})


def export_dynamo(model, shape, path, opset, output_name=OUTPUT_NAME):
    dummy = torch.zeros(2, *shape)
    program = torch.onnx.export(model, (dummy,), dynamo=True, opset_version=opset, optimize=True,
                                external_data=False, input_names=[INPUT_NAME], output_names=[output_name],
                                dynamic_shapes=({0: torch.export.Dim("batch")},))
    program.optimize()
    program.save(path, external_data=False)


def histogram(model_proto):
    return dict(sorted(collections.Counter(n.op_type for n in model_proto.graph.node).items()))


def parameter_count(model_proto):
    return int(sum(int(np.prod(t.dims)) for t in model_proto.graph.initializer))


def constant_values(path, names, shape):
    """Values of the tensors names of the model at path, by onnxruntime; asserts they do not depend on
    the input (the same for batch 1 and 2)."""
    m = onnx.shape_inference.infer_shapes(onnx.load(path))
    types = {v.name: v.type.tensor_type.elem_type for v in m.graph.value_info}
    m.graph.output.extend([helper.make_tensor_value_info(n, types[n], None) for n in names])
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    values = []
    for batch in (1, 2):
        out = sess.run(names, {INPUT_NAME: np.full((batch, *shape), 0.5, dtype=np.float32)})
        values.append(out)
    for a, b in zip(*values):
        assert np.array_equal(a, b), "Pad parameters depend on the input"
    return dict(zip(names, values[0]))


def remove_dead_nodes(graph):
    """Removes nodes, initializers and Constants that no graph output depends on."""
    while True:
        used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
        dead = [n for n in graph.node if not any(o in used for o in n.output)]
        for n in dead:
            graph.node.remove(n)
        if not dead:
            break
    used = {i for n in graph.node for i in n.input}
    for t in list(graph.initializer):
        if t.name not in used:
            graph.initializer.remove(t)


def fold_pad_into_conv(path, shape):
    """Replaces every constant-mode zero Pad whose only consumer is a Conv by that Conv's pads attribute.
    The TorchScript exporter computes the Pad's pads at run time (ConstantOfShape, Concat, Reshape, Slice,
    Transpose, Cast from constants); onnxruntime evaluates them here, and the chain is removed."""
    m = onnx.load(path)
    g = m.graph
    pads_nodes = []
    for pad in [n for n in g.node if n.op_type == "Pad"]:
        mode = next((a.s.decode() for a in pad.attribute if a.name == "mode"), "constant")
        users = [n for n in g.node if pad.output[0] in n.input]
        if mode != "constant" or len(users) != 1 or users[0].op_type != "Conv" or pad.output[0] in {
                o.name for o in g.output}:
            continue
        pads_nodes.append((pad, users[0]))
    names = [n for pad, _ in pads_nodes for n in pad.input[1:3] if n]
    values = constant_values(path, names, shape) if names else {}
    folded = 0
    for pad, conv in pads_nodes:
        if len(pad.input) > 2 and pad.input[2] and float(values[pad.input[2]]) != 0.0:
            continue
        if len(pad.input) > 3 and pad.input[3]:
            continue
        pads = [int(p) for p in values[pad.input[1]]]  # [n0, c0, h0, w0, n1, c1, h1, w1]
        assert len(pads) == 8 and pads[0] == pads[1] == pads[4] == pads[5] == 0 and min(pads) >= 0, pads
        attr = next((a for a in conv.attribute if a.name == "pads"), None)
        old = list(attr.ints) if attr is not None else [0, 0, 0, 0]  # [h0, w0, h1, w1]
        new = [old[0] + pads[2], old[1] + pads[3], old[2] + pads[6], old[3] + pads[7]]
        auto_pad = next((a for a in conv.attribute if a.name == "auto_pad"), None)
        assert auto_pad is None or auto_pad.s in (b"", b"NOTSET"), "Conv has auto_pad"
        if attr is not None:
            conv.attribute.remove(attr)
        conv.attribute.append(helper.make_attribute("pads", new))
        conv.input[0] = pad.input[0]
        g.node.remove(pad)
        folded += 1
        print(f"    folded {pad.name} {pads} into {conv.name}: pads {old} -> {new}")
    remove_dead_nodes(g)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return folded


def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def ort_logits(sess, x, batch=500):
    return np.concatenate([sess.run(None, {INPUT_NAME: x[i:i + batch]})[0] for i in range(0, len(x), batch)])


def ort_pred(sess, x):
    return ort_logits(sess, x).argmax(1)


def fgsm_float64(model, x, y, eps):
    """clamp(x + eps*sign(grad_x CE(model64(x), y)), 0, 1) computed in float64, then cast to float32."""
    m64 = copy.deepcopy(model).double().eval()
    x64 = torch.from_numpy(x).double().requires_grad_(True)
    loss = F.cross_entropy(m64(x64), torch.from_numpy(y), reduction="sum")
    (grad,) = torch.autograd.grad(loss, x64)
    return torch.clamp(x64.detach() + eps * grad.sign(), 0.0, 1.0).float().numpy()


def attack_batches(attack, x, y, batch=250):
    return np.concatenate([attack(torch.from_numpy(x[i:i + batch]), torch.from_numpy(y[i:i + batch])).numpy()
                           for i in range(0, len(x), batch)])


def floats(a):
    return [[float(v) for v in row] for row in a]


def golden(name, path, model, exporter, opset, shape, dataset, x_test, y_test, seed, attacks=True):
    m = onnx.load(path)
    onnx.checker.check_model(m)
    hist = histogram(m)
    outside = sorted(set(hist) - SUPPORTED_OPS)
    size = os.path.getsize(path)
    print(f"  {os.path.basename(path)}: {size} bytes, IR {m.ir_version}, "
          f"opsets {[(o.domain or 'ai.onnx', o.version) for o in m.opset_import]}, "
          f"inputs {[i.name for i in m.graph.input]}, outputs {[o.name for o in m.graph.output]}")
    print(f"    ops {hist}" + (f"  OUTSIDE SUPPORTED LIST: {outside}" if outside else ""))
    assert size < 1 << 20, f"{path} is {size} bytes"
    sess = session(path)

    probe = lcg_probe(seed, (3, *shape))
    probe_logits = sess.run(None, {INPUT_NAME: probe})[0]
    with torch.no_grad():
        diff = np.abs(model(torch.from_numpy(probe)).numpy() - probe_logits).max()
    print(f"    probe: max |torch - onnxruntime| = {diff:.2e}")
    assert diff < 1e-4, diff

    x, y = x_test[:EVAL_COUNT], y_test[:EVAL_COUNT]
    clean = ort_pred(sess, x)
    entry = {
        "file": os.path.basename(path), "exporter": exporter, "opset": opset, "input_shape": list(shape),
        "dataset": dataset, "op_histogram": hist, "parameters": parameter_count(m),
        "ir_version": m.ir_version, "input_name": m.graph.input[0].name, "output_name": m.graph.output[0].name,
        "probe": {"seed": seed, "count": 3, "logits": floats(probe_logits)},
        "clean_accuracy": float((clean == y).mean()),
    }
    print(f"    clean accuracy {entry['clean_accuracy']:.3f}")
    if not attacks:
        return entry
    fgsm = {"count": EVAL_COUNT, "clean_pred": clean.tolist(), "eps": FGSM_EPS, "per_eps": []}
    for eps in FGSM_EPS:
        adv64 = ort_pred(sess, fgsm_float64(model, x, y, eps))
        adv_ta = ort_pred(sess, attack_batches(torchattacks.FGSM(model, eps=eps), x, y))
        differ = int((adv64 != adv_ta).sum())
        fgsm["per_eps"].append({"eps": eps, "adv_pred_float64": adv64.tolist(), "adv_pred_torchattacks": adv_ta.tolist(),
                                "accuracy_float64": float((adv64 == y).mean()),
                                "accuracy_torchattacks": float((adv_ta == y).mean()), "differ": differ})
        print(f"    FGSM eps {eps}: accuracy float64 {(adv64 == y).mean():.3f}, "
              f"torchattacks {(adv_ta == y).mean():.3f}, predictions differing {differ}")
    entry["fgsm"] = fgsm
    torch.manual_seed(1234)
    pgd = torchattacks.PGD(model, eps=PGD_EPS, alpha=PGD_ALPHA, steps=PGD_STEPS, random_start=True)
    adv = ort_pred(sess, attack_batches(pgd, x, y))
    entry["pgd"] = {"eps": PGD_EPS, "alpha": PGD_ALPHA, "steps": PGD_STEPS, "random_start": True,
                    "count": EVAL_COUNT, "robust_accuracy": float((adv == y).mean())}
    print(f"    PGD-10 eps {PGD_EPS}: robust accuracy {entry['pgd']['robust_accuracy']:.3f}")
    return entry


def dumps(value, indent=0):
    """JSON with one key per line and each list of numbers on one line; floats as Python's repr."""
    inner = " " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in value.items()]
    elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        items = [inner + dumps(v, indent + 1) for v in value]
    else:
        return json.dumps(value)
    brackets = "{}" if isinstance(value, dict) else "[]"
    return brackets[0] + "\n" + ",\n".join(items) + "\n" + " " * indent + brackets[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="lenet,mlp_norm,resnet,preact_resnet")
    args = parser.parse_args()
    only = set(args.only.split(","))
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    # k / 255.0 rounded to float32 equals the float32 division the Swift side may do.
    assert all(np.float32(k / 255.0) == np.float32(k) / np.float32(255) for k in range(256))

    train_images, train_labels = fashion_mnist("train")
    test_images, test_labels = fashion_mnist("t10k")
    grey_test = grey(test_images[:EVAL_COUNT])
    golden_path = os.path.join(OUT, "golden.json")
    result = json.load(open(golden_path)) if os.path.exists(golden_path) else {}
    start = time.time()

    if "lenet" in only:
        print("lenet", flush=True)
        torch.manual_seed(1)
        model = train(LeNet(), grey(train_images), train_labels, epochs=2, seed=1)
        path = os.path.join(OUT, "lenet.onnx")
        export_torchscript(model, (1, 28, 28), path, 13)
        hist = histogram(onnx.load(path))
        for op in ("Shape", "Gather", "Unsqueeze", "Concat", "Reshape"):
            assert op in hist, f"lenet.onnx has no {op}: {hist}"
        result["lenet"] = golden("lenet", path, model, "torchscript", 13, (1, 28, 28), "fashion-mnist",
                                 grey_test, test_labels, seed=1001)
        print(f"  [{time.time() - start:.0f} s]", flush=True)

    if "mlp_norm" in only:
        print("mlp_norm", flush=True)
        torch.manual_seed(2)
        model = train(MLPNorm(), grey(train_images), train_labels, epochs=3, seed=2)
        path = os.path.join(OUT, "mlp_norm.onnx")
        export_dynamo(model, (1, 28, 28), path, 18)
        result["mlp_norm"] = golden("mlp_norm", path, model, "dynamo", 18, (1, 28, 28), "fashion-mnist",
                                    grey_test, test_labels, seed=1002)
        softmax = nn.Sequential(model, nn.Softmax(dim=1)).eval()
        path = os.path.join(OUT, "mlp_norm_softmax.onnx")
        export_dynamo(softmax, (1, 28, 28), path, 18, output_name="probabilities")
        entry = golden("mlp_norm_softmax", path, softmax, "dynamo", 18, (1, 28, 28), "fashion-mnist",
                       grey_test, test_labels, seed=1002, attacks=False)
        # Same weights: the stripped model must give mlp_norm's logits; the probe here holds probabilities.
        entry["probe"]["output"] = "softmax probabilities"
        entry["same_weights_as"] = "mlp_norm"
        result["mlp_norm_softmax"] = entry
        print(f"  [{time.time() - start:.0f} s]", flush=True)

    if "resnet" in only:
        print("resnet", flush=True)
        torch.manual_seed(3)
        model = train(ResNet(), grey(train_images[:30000]), train_labels[:30000], epochs=1, seed=3)
        path = os.path.join(OUT, "resnet.onnx")
        export_torchscript(model, (1, 28, 28), path, 17)
        hist = histogram(onnx.load(path))
        assert "BatchNormalization" not in hist, f"resnet.onnx kept BatchNormalization: {hist}"
        assert "GlobalAveragePool" in hist, hist
        result["resnet"] = golden("resnet", path, model, "torchscript", 17, (1, 28, 28), "fashion-mnist",
                                  grey_test, test_labels, seed=1003)
        print(f"  [{time.time() - start:.0f} s]", flush=True)

    if "preact_resnet" in only:
        print("preact_resnet", flush=True)
        torch.manual_seed(4)
        n = 30000
        model = train(PreActResNet(), coloured(train_images[:n]), train_labels[:n], epochs=1, seed=4)
        path = os.path.join(OUT, "preact_resnet.onnx")
        export_torchscript(model, (3, 32, 32), path, 17)
        coloured_test = coloured(test_images[:EVAL_COUNT])
        before = ort_logits(session(path), coloured_test[:200])
        print(f"    exported ops {histogram(onnx.load(path))}")
        assert fold_pad_into_conv(path, (3, 32, 32)) >= 1, "no Pad folded"
        after = ort_logits(session(path), coloured_test[:200])
        print(f"    Pad folding: max |before - after| = {np.abs(before - after).max():.2e}")
        assert np.abs(before - after).max() < 1e-5
        m = onnx.load(path)
        hist = histogram(m)
        assert "BatchNormalization" in hist and "AveragePool" in hist and "Pad" not in hist, hist
        assert any(a.name == "pads" and len(set(a.ints)) > 1 for n in m.graph.node if n.op_type == "Conv"
                   for a in n.attribute), "no Conv with asymmetric pads"
        result["preact_resnet"] = golden("preact_resnet", path, model, "torchscript", 17, (3, 32, 32),
                                         "coloured-fashion-mnist", coloured_test, test_labels, seed=1004)
        print(f"  [{time.time() - start:.0f} s]", flush=True)

    order = ["lenet", "mlp_norm", "mlp_norm_softmax", "resnet", "preact_resnet"]
    result = {k: result[k] for k in order if k in result}
    with open(golden_path, "w") as f:
        f.write(dumps(result) + "\n")
    print(f"wrote {golden_path} ({os.path.getsize(golden_path)} bytes) in {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
