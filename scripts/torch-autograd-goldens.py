#!/usr/bin/python3
"""Write PyTorch autograd gradient cases as golden-format folders.

Usage: /usr/bin/python3 scripts/torch-autograd-goldens.py OUTDIR [--seed S]

For each problem of a fixed list (PROBLEMS: conv and deconv of ranks 1-3,
deform 2D, dynamic of ranks 1-3; groups, depthwise multipliers, dilations,
strides, symmetric, asymmetric and negative end padding, deconv output
padding, DCNv1 and DCNv2, sigmoid and softmax routing with temperatures) and
each backward direction (BWD_D, BWD_W, BWD_WB), the script writes a folder
OUTDIR/<problem>_<DIR> holding case.json

  {"op": ..., "problem": "<benchdnn descriptor>", "dir": "BWD_D", "name": ..., "source": ...}

(plus "routing" and "temperature" for dynamic) and exactly the tensors that
conv.Problem.Tensors lists for that op and direction (oracles/golden/doc.go):
the inputs it reads (x, w, b, offset, mask, route_w, route_b, dy) and the
gradients it writes (dx, dw, db, doffset, dmask, droute_w, droute_b), each a
little-endian float32 .npy in C order.

The inputs are float32 values (x, w, b, routing, dy ~ N(0, 1), offsets
~ N(0, 1.5), masks ~ U(0, 1)), drawn from numpy's PCG64 seeded with S and the
problem's index. The gradients are computed by torch.autograd on the CPU in
float64 from those exact float32 values, and only then rounded to float32 to
be stored: the stored gradient is within half a float32 ulp of the float64
autograd result, whose own error (a few float64 ulps of the term magnitudes)
is 2^-29 smaller than any float32 bound.

Each op is written the way its users write it:
  * conv, deconv: torch.nn.functional.conv{1,2,3}d and conv_transpose{1,2,3}d;
    asymmetric or negative end padding by F.pad of the input (conv) or of the
    full transposed output (deconv) when the padding argument cannot say it.
  * deform: torchvision.ops.deform_conv2d (DCNv2 with mask, DCNv1 without).
  * dynamic (CondConv): r = route_w . GAP(x) + route_b, alpha = sigmoid(r) or
    softmax(r / T), kernel and bias mixed per sample from the experts, one
    grouped convolution over the batch (groups = MB * G).

Existing case folders are never overwritten: the script refuses an OUTDIR that
already holds a case of the same name.

Verify with: go run ./cmd/convverify check --golden OUTDIR
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.ops import deform_conv2d

AXES = {1: "w", 2: "hw", 3: "dhw"}
DIRS = ["BWD_D", "BWD_W", "BWD_WB"]

# The tensors each direction reads and writes, as conv.Problem.Tensors (conv/dir.go) lists them.
TABLE = {
    "conv": {"BWD_D": (["dy", "w"], ["dx"]), "BWD_W": (["x", "dy"], ["dw"]), "BWD_WB": (["x", "dy"], ["dw", "db"])},
    "deform": {"BWD_D": (["x", "w", "offset", "mask", "dy"], ["dx", "doffset", "dmask"]),
               "BWD_W": (["x", "offset", "mask", "dy"], ["dw"]),
               "BWD_WB": (["x", "offset", "mask", "dy"], ["dw", "db"])},
    "dynamic": {"BWD_D": (["x", "w", "b", "route_w", "route_b", "dy"], ["dx"]),
                "BWD_W": (["x", "w", "b", "route_w", "route_b", "dy"], ["dw", "droute_w", "droute_b"]),
                "BWD_WB": (["x", "w", "b", "route_w", "route_b", "dy"], ["dw", "db", "droute_w", "droute_b"])},
}
TABLE["deconv"] = TABLE["conv"]


def P(op, name, mb, g, ic, oc, i, k, s=None, pb=None, pe=None, dil=None, **extra):
    """One problem. Spatial lists are outermost first (W; H, W; D, H, W).
    pe is the end padding (default pb); for deconv, pb - pe is the output padding."""
    r = len(i)
    s = s or [1] * r
    pb = pb or [0] * r
    pe = pe if pe is not None else list(pb)
    dil = dil or [1] * r
    d = dict(op=op, name=name, mb=mb, g=g, ic=ic, oc=oc, i=i, k=k, s=s, pb=pb, pe=pe, dil=dil, rank=r)
    d.update(extra)
    return d


PROBLEMS = [
    # conv, rank 1
    P("conv", "conv1d_plain", 2, 1, 4, 6, [12], [3], pb=[1]),
    P("conv", "conv1d_g2_s2_d2_asym", 2, 2, 4, 6, [13], [3], s=[2], pb=[2], pe=[0], dil=[2]),
    P("conv", "conv1d_dw_mult2_negend", 1, 3, 3, 6, [11], [5], pb=[1], pe=[-1]),
    # conv, rank 2
    P("conv", "conv2d_k3x2", 2, 1, 3, 4, [7, 6], [3, 2], pb=[1, 0]),
    P("conv", "conv2d_g2_s2", 2, 2, 4, 6, [8, 7], [3, 3], s=[2, 2], pb=[1, 1]),
    P("conv", "conv2d_dw_mult2_d2", 1, 4, 4, 8, [7, 7], [3, 3], pb=[2, 2], dil=[2, 2]),
    P("conv", "conv2d_asym_s2x1", 2, 1, 3, 3, [6, 7], [3, 3], s=[2, 1], pb=[0, 1], pe=[2, 0]),
    P("conv", "conv2d_1x1_s2", 3, 1, 5, 4, [6, 6], [1, 1], s=[2, 2]),
    P("conv", "conv2d_g3_negend_d3x1", 1, 3, 6, 3, [9, 8], [2, 3], s=[1, 2], pb=[2, 1], pe=[-1, 1], dil=[3, 1]),
    # conv, rank 3
    P("conv", "conv3d_plain", 1, 1, 2, 3, [4, 5, 5], [3, 3, 3], pb=[1, 1, 1]),
    P("conv", "conv3d_g2_s_d_asym", 2, 2, 4, 4, [4, 6, 7], [2, 3, 3], s=[1, 2, 2], pb=[0, 1, 2], pe=[1, 0, 0], dil=[1, 1, 2]),
    # deconv, rank 1
    P("deconv", "deconv1d_s2_outpad1", 2, 1, 4, 3, [6], [3], s=[2], pb=[1], pe=[0]),
    P("deconv", "deconv1d_g2_s3_d2", 1, 2, 4, 6, [5], [4], s=[3], dil=[2]),
    P("deconv", "deconv1d_negend", 2, 1, 3, 2, [5], [3], s=[2], pb=[1], pe=[-1]),
    # deconv, rank 2
    P("deconv", "deconv2d_s2_outpad10", 2, 1, 3, 4, [4, 5], [3, 3], s=[2, 2], pb=[1, 1], pe=[0, 1]),
    P("deconv", "deconv2d_dw_mult2", 1, 3, 3, 6, [5, 5], [3, 3], pb=[1, 1]),
    P("deconv", "deconv2d_g2_s2x3_d2x1", 2, 2, 4, 4, [4, 3], [2, 3], s=[2, 3], pb=[0, 1], dil=[2, 1]),
    P("deconv", "deconv2d_asym", 1, 1, 2, 3, [4, 4], [3, 3], s=[2, 1], pb=[2, 0], pe=[0, 1]),
    # deconv, rank 3
    P("deconv", "deconv3d_s2_outpad", 1, 1, 2, 2, [3, 3, 4], [3, 3, 3], s=[2, 2, 2], pb=[1, 1, 1], pe=[0, 1, 0]),
    P("deconv", "deconv3d_g2_d2", 2, 2, 4, 2, [3, 3, 3], [2, 2, 3], s=[1, 2, 1], pb=[0, 0, 1], dil=[2, 1, 1]),
    # deform (2D), torchvision
    P("deform", "deform_mask", 2, 1, 3, 4, [6, 6], [3, 3], pb=[1, 1], dg=1, mask=True),
    P("deform", "deform_g2_dg2_s2", 1, 2, 4, 4, [7, 7], [3, 3], s=[2, 2], pb=[1, 1], dg=2, mask=True),
    P("deform", "deform_v1_k2x3_d2x1", 2, 1, 2, 3, [6, 7], [2, 3], pb=[1, 0], dil=[2, 1], dg=1, mask=False),
    P("deform", "deform_dw_mult2_dg2", 1, 2, 2, 4, [5, 6], [3, 3], pb=[1, 1], dg=2, mask=True),
    P("deform", "deform_dg3_d2_p2", 1, 1, 3, 2, [7, 6], [3, 2], s=[1, 2], pb=[2, 1], dil=[2, 1], dg=3, mask=True),
    # dynamic (CondConv)
    P("dynamic", "dynamic1d_sigmoid", 2, 1, 4, 4, [10], [3], pb=[1], e=3, routing="sigmoid"),
    P("dynamic", "dynamic2d_softmax_g2_s2", 2, 2, 4, 6, [7, 7], [3, 3], s=[2, 2], pb=[1, 1], e=4, routing="softmax", t=0.7),
    P("dynamic", "dynamic2d_sigmoid_dw_d2_asym", 2, 3, 3, 6, [7, 6], [3, 3], pb=[2, 1], pe=[1, 2], dil=[2, 1], e=2, routing="sigmoid"),
    P("dynamic", "dynamic3d_softmax_t2", 1, 1, 2, 3, [3, 4, 4], [3, 3, 3], pb=[1, 1, 1], e=2, routing="softmax", t=2.0),
    P("dynamic", "dynamic2d_softmax_nobias", 2, 1, 3, 4, [6, 6], [3, 3], pb=[1, 1], e=3, routing="softmax", t=1.0, bias=False),
]


def ext(k, d):
    return (k - 1) * d + 1


def out_size(p):
    """The output size and the canonical end padding (the one the descriptor implies)."""
    o, pe = [], []
    for a in range(p["rank"]):
        i, k, s, pb, d = p["i"][a], p["k"][a], p["s"][a], p["pb"][a], p["dil"][a]
        if p["op"] == "deconv":
            n = (i - 1) * s + ext(k, d) - pb - p["pe"][a]
            o.append(n)
            pe.append(p["pe"][a])
        else:
            n = (i + pb + p["pe"][a] - ext(k, d)) // s + 1
            o.append(n)
            pe.append((n - 1) * s + ext(k, d) - i - pb)
        if n < 1:
            sys.exit("%s: empty output along axis %d" % (p["name"], a))
    return o, pe


def descriptor(p, o):
    """The benchdnn descriptor, every size explicit (dilation as benchdnn's d = dil - 1)."""
    ax = AXES[p["rank"]]
    s = "g%dmb%dic%d" % (p["g"], p["mb"], p["ic"])
    s += "".join("i%s%d" % (c, v) for c, v in zip(ax, p["i"]))
    s += "oc%d" % p["oc"]
    s += "".join("o%s%d" % (c, v) for c, v in zip(ax, o))
    s += "".join("k%s%d" % (c, v) for c, v in zip(ax, p["k"]))
    s += "".join("s%s%d" % (c, v) for c, v in zip(ax, p["s"]))
    s += "".join("p%s%d" % (c, v) for c, v in zip(ax, p["pb"]))
    s += "".join("d%s%d" % (c, v - 1) for c, v in zip(ax, p["dil"]))
    return s + "n" + p["name"]


def pad_arg(pb, pe):
    """F.pad's argument: (begin, end) per axis, last axis first."""
    out = []
    for b, e in reversed(list(zip(pb, pe))):
        out += [b, e]
    return out


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
DECONV = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def conv_forward(p, pe, x, w, b, groups):
    if list(p["pb"]) == list(pe) and min(p["pb"]) >= 0:
        return CONV[p["rank"]](x, w, b, stride=p["s"], padding=p["pb"], dilation=p["dil"], groups=groups)
    x = F.pad(x, pad_arg(p["pb"], pe))
    return CONV[p["rank"]](x, w, b, stride=p["s"], padding=0, dilation=p["dil"], groups=groups)


def deconv_forward(p, x, w, b):
    outpad = [pb - pe for pb, pe in zip(p["pb"], p["pe"])]
    if min(p["pb"]) >= 0 and all(0 <= op < max(s, d) for op, s, d in zip(outpad, p["s"], p["dil"])):
        return DECONV[p["rank"]](x, w, b, stride=p["s"], padding=p["pb"], output_padding=outpad,
                                 groups=p["g"], dilation=p["dil"])
    # Output padding torch refuses (>= stride and dilation) or negative:
    # the full transposed output, cropped or zero-extended, then the bias.
    full = DECONV[p["rank"]](x, w, None, stride=p["s"], padding=0, groups=p["g"], dilation=p["dil"])
    y = F.pad(full, pad_arg([-v for v in p["pb"]], [-v for v in p["pe"]]))
    return y + b.view([1, -1] + [1] * p["rank"])


def dynamic_forward(p, pe, x, w, b, route_w, route_b):
    mb, oc, r = p["mb"], p["oc"], p["rank"]
    gap = x.mean(dim=list(range(2, 2 + r)))
    logits = gap @ route_w.t() + route_b
    if p["routing"] == "sigmoid":
        alpha = torch.sigmoid(logits)
    else:
        alpha = torch.softmax(logits / p["t"], dim=1)
    wmix = torch.einsum("ne,e...->n...", alpha, w).reshape((mb * oc,) + tuple(w.shape[2:]))
    bmix = None if b is None else (alpha @ b).reshape(mb * oc)
    xx = x.reshape((1, mb * p["ic"]) + tuple(x.shape[2:]))
    y = conv_forward(p, pe, xx, wmix, bmix, groups=mb * p["g"])
    return y.reshape((mb, oc) + tuple(y.shape[2:]))


def f32(rng, shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def case(p, seed, index):
    """Every input (float32) and every gradient (float64, then float32) of problem p."""
    rng = np.random.default_rng([seed, index])
    op, r, mb, g, ic, oc = p["op"], p["rank"], p["mb"], p["g"], p["ic"], p["oc"]
    o, pe = out_size(p)
    xs = (mb, ic) + tuple(p["i"])
    ys = (mb, oc) + tuple(o)
    k = tuple(p["k"])
    a = {"x": f32(rng, xs)}
    if op == "deconv":
        a["w"] = f32(rng, (ic, oc // g) + k)
    elif op == "dynamic":
        a["w"] = f32(rng, (p["e"], oc, ic // g) + k)
    else:
        a["w"] = f32(rng, (oc, ic // g) + k)
    bias = p.get("bias", True)
    if op == "dynamic":
        a["b"] = f32(rng, (p["e"], oc))
    if op == "deform":
        taps = p["dg"] * k[0] * k[1]
        a["offset"] = f32(rng, (mb, 2 * taps) + tuple(o), 1.5)
        if p["mask"]:
            a["mask"] = rng.uniform(0, 1, (mb, taps) + tuple(o)).astype(np.float32)
    if op == "dynamic":
        a["route_w"] = f32(rng, (p["e"], ic))
        a["route_b"] = f32(rng, (p["e"],))
    a["dy"] = f32(rng, ys)
    if op == "dynamic" and not bias:
        del a["b"]

    t = {n: torch.from_numpy(v).to(torch.float64).requires_grad_(n != "dy") for n, v in a.items()}
    # A conv, deconv or deform bias changes no gradient but db, and no
    # backward direction reads it: it is zero here, so that autograd gives
    # db = sum of dy.
    # A dynamic case without bias (no b.npy) still has db, the gradient at
    # a zero bias; it is computed the same way.
    b = t.get("b")
    if b is None:
        b = torch.zeros((p["e"], oc) if op == "dynamic" else (oc,), dtype=torch.float64, requires_grad=True)
        t["b"] = b
    if op == "conv":
        y = conv_forward(p, pe, t["x"], t["w"], b, groups=g)
    elif op == "deconv":
        y = deconv_forward(p, t["x"], t["w"], b)
    elif op == "deform":
        y = deform_conv2d(t["x"], t["offset"], t["w"], b, stride=tuple(p["s"]), padding=tuple(p["pb"]),
                          dilation=tuple(p["dil"]), mask=t.get("mask"))
    else:
        y = dynamic_forward(p, pe, t["x"], t["w"], b, t["route_w"], t["route_b"])
    if tuple(y.shape) != ys:
        sys.exit("%s: torch output %s, want %s" % (p["name"], tuple(y.shape), ys))
    y.backward(t["dy"])
    grads = {}
    for n, v in t.items():
        if n != "dy" and v.grad is not None:
            grads["d" + n] = np.ascontiguousarray(v.grad.numpy().astype(np.float32))
    return o, a, grads


def write(outdir, name, meta, arrays):
    final = os.path.join(outdir, name)
    if os.path.lexists(final):
        sys.exit("%s: exists; refusing to replace it (write into a new folder)" % final)
    tmp = tempfile.mkdtemp(prefix="." + name + ".", dir=outdir)
    with open(os.path.join(tmp, "case.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    for k, v in arrays.items():
        with open(os.path.join(tmp, k + ".npy"), "wb") as f:
            np.save(f, v)
            f.flush()
            os.fsync(f.fileno())
    os.chmod(tmp, 0o755)
    os.rename(tmp, final)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    n = 0
    for index, p in enumerate(PROBLEMS):
        o, inputs, grads = case(p, args.seed, index)
        desc = descriptor(p, o)
        for d in DIRS:
            reads, writes = TABLE[p["op"]][d]
            arrays = {}
            for tname in reads:
                if tname in inputs:
                    arrays[tname] = inputs[tname]
                elif tname not in ("b", "mask"):
                    sys.exit("%s: %s reads %s, which was not drawn" % (p["name"], d, tname))
            for tname in writes:
                if tname == "dmask" and "mask" not in inputs:
                    continue
                if tname not in grads:
                    sys.exit("%s: %s writes %s, which autograd did not give" % (p["name"], d, tname))
                arrays[tname] = grads[tname]
            name = "%s_%s" % (p["name"], d)
            meta = {"op": p["op"], "problem": desc, "dir": d}
            if p["op"] == "dynamic":
                meta["routing"] = p["routing"]
                if p["routing"] == "softmax":
                    meta["temperature"] = p["t"]
            what = {"conv": "torch.nn.functional.conv%dd" % p["rank"], "deconv": "torch.nn.functional.conv_transpose%dd" % p["rank"],
                    "deform": "torchvision %s deform_conv2d" % torchvision.__version__,
                    "dynamic": "CondConv in torch (GAP, linear routing, %s, grouped conv over the batch)" % p.get("routing")}[p["op"]]
            meta["name"] = name
            meta["source"] = ("torch %s autograd of %s (CPU, float64 from float32 inputs, gradients rounded to float32), "
                              "scripts/torch-autograd-goldens.py seed %d" % (torch.__version__, what, args.seed))
            write(args.outdir, name, meta, arrays)
            n += 1
    print("wrote %d cases to %s" % (n, args.outdir))


if __name__ == "__main__":
    main()
