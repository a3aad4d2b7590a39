#!/usr/bin/python3
"""A convverify worker over PyTorch and torchvision (docs/worker-protocol.md).

    convverify conform --exec '/usr/bin/python3 adapters/pytorch/worker.py'

Each op is written the way users write it:

  conv     torch.nn.functional.conv{1,2,3}d; asymmetric padding by F.pad
           first (a negative end padding crops the rows never read).
  deconv   F.conv_transpose{1,2,3}d with padding = begin padding and
           output_padding = begin - end padding where PyTorch accepts it
           (0 <= output_padding < max(stride, dilation)); otherwise the
           uncropped transposed convolution, then cropped (or extended) by
           F.pad, then the bias.
  deform   torchvision.ops.deform_conv2d (offset groups from the offset's
           channels, DCNv2 mask); asymmetric padding by F.pad.
  dynamic  CondConv / Dynamic Convolution: r = route_w . GAP(x) + route_b,
           alpha = sigmoid(r) or softmax(r / T), per-sample kernel sum alpha w
           and bias sum alpha b, one grouped convolution over the batch.

--plant NAME (or CONVVERIFY_PLANT=NAME) plants one realistic bug, for the
tests that prove conform catches it: output-padding, mask, end-padding,
group-split, deconv-bias, dilation-stride (in the forward expression, so
the gradients inherit them), db-batch (the bias gradient of conv, deconv
and deform summed over the first image only), route-detach (a dynamic
convolution's routing weights detached from the graph, as a router that is
"not trained through": the forward pass is right, but dx lacks its routing
term and route_w, route_b get no gradient).

It computes gradients (the "grad" capability): a case whose case.json has
"dir" BWD_D, BWD_W or BWD_WB holds the tensors that direction reads, dy.npy
among them; the worker builds the same forward expression on them (a tensor
the direction does not read, such as x for a conv's BWD_D, is zeros: the
gradient does not depend on it), calls torch.autograd.grad with dy as
grad_outputs for the tensors the direction differentiates (BWD_D: x, and
deform's offset and mask; BWD_W: w, and dynamic's route_w and route_b;
BWD_WB: also b), in float32, and writes dx.npy, dw.npy, db.npy, doffset.npy,
dmask.npy, droute_w.npy, droute_b.npy as the direction says. A timing
request on a backward case times the torch.autograd.grad call alone (the
forward graph built once, retained), which is what a training step spends
on that gradient.

It answers timing requests (the "time" capability): {"time": {"reps": R,
"warmup": K, "threads": T}} sets torch.set_num_threads(T) and caps the
BLAS's own thread pool at T (OpenBLAS's ignores torch's count), loads the
inputs, runs the op K times untimed, then R times, each timed alone with
time.perf_counter_ns around the very call a correctness request makes, and
writes y.npy from the last run. For fair timing convverify bench starts it
with MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ set (glibc would
otherwise page-fault PyTorch's freshly allocated buffers on every run), and
Debian's PyTorch should have libopenblas0-pthread installed (its GEMM):
torch.__config__.show() names the BLAS in use.

A problem PyTorch cannot run is answered {"error": ...} (skipped); any other
exception is a bug here: the traceback goes to stderr and the worker exits,
which conform reports as a crash.
"""
import ctypes
import json
import os
import sys
import time
import traceback

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

PLANTS = ("output-padding", "mask", "end-padding", "group-split", "deconv-bias", "dilation-stride", "db-batch",
          "route-detach")


class Unsupported(Exception):
    """A problem this worker does not run; replied as an error (skipped)."""


def load(d, name, required=True):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        if required:
            raise FileNotFoundError(path)
        return None
    a = np.load(path, allow_pickle=False)
    if a.dtype != np.float32:
        raise ValueError("%s: dtype %s, want float32" % (path, a.dtype))
    return torch.from_numpy(np.ascontiguousarray(a))


def torch_pad(begin, end):
    """F.pad's argument: last axis first, (begin, end) per axis."""
    out = []
    for b, e in zip(reversed(begin), reversed(end)):
        out += [b, e]
    return out


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
DECONV = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def strides(g, plant):
    s, d = g["stride"], g["dilation"]
    if plant == "dilation-stride":
        s, d = d, s
    return s, d


def end_pad(g, plant):
    pe = list(g["pad_end"])
    if plant == "end-padding":
        pe = [p + 1 for p in pe]
    return pe


def grouped(fn, x, w, b, groups, plant, **kw):
    """fn with groups; the group-split plant slices the input channels of
    group i from i*(oc/g), as if in and out channels per group were equal."""
    if plant != "group-split" or groups == 1:
        return fn(x, w, b, groups=groups, **kw)
    ic = x.shape[1]
    icg = ic // groups
    ocg = w.shape[0] // groups
    ys = []
    for i in range(groups):
        idx = [(i * ocg + c) % ic for c in range(icg)]
        ys.append(fn(x[:, idx], w[i * ocg:(i + 1) * ocg], None if b is None else b[i * ocg:(i + 1) * ocg], **kw))
    return torch.cat(ys, dim=1)


def conv(g, x, w, b, plant):
    s, d = strides(g, plant)
    pb, pe = g["pad_begin"], end_pad(g, plant)
    if pb == pe:
        # Symmetric padding: the convolution's own, as users write it.
        return grouped(CONV[g["rank"]], x, w, b, g["groups"], plant, stride=s, dilation=d, padding=pb)
    x = F.pad(x, torch_pad(pb, pe))
    return grouped(CONV[g["rank"]], x, w, b, g["groups"], plant, stride=s, dilation=d)


def deconv(g, x, w, b, plant):
    s, d = strides(g, plant)
    pb, pe = g["pad_begin"], end_pad(g, plant)
    if plant == "deconv-bias":
        b = None
    op = [p - q for p, q in zip(pb, pe)]
    fn = DECONV[g["rank"]]
    if all(0 <= o < max(si, di) for o, si, di in zip(op, s, d)):
        if plant == "output-padding":
            op = [0] * len(op)
        return fn(x, w, b, stride=s, padding=pb, output_padding=op, groups=g["groups"], dilation=d)
    # PyTorch has no spelling for this padding: take the whole transposed
    # convolution and crop it (a negative end padding extends it with zeros).
    y = fn(x, w, None, stride=s, padding=0, output_padding=0, groups=g["groups"], dilation=d)
    y = F.pad(y, torch_pad([-p for p in pb], [-p for p in pe]))
    if b is not None:
        y = y + b.reshape([1, -1] + [1] * g["rank"])
    return y


def deform(g, x, w, b, offset, mask, plant):
    s, d = strides(g, plant)
    pb, pe = g["pad_begin"], end_pad(g, plant)
    if plant == "mask":
        mask = None
    if pb == pe:
        return torchvision.ops.deform_conv2d(x, offset, w, b, stride=s, padding=pb, dilation=d, mask=mask)
    # Asymmetric padding: pad the input with zeros (bilinear sampling reads
    # zeros outside the image either way). A negative end padding must not
    # crop the input, since offsets may sample anywhere: pad nothing there,
    # compute the larger output (offsets and mask padded to it) and crop.
    x = F.pad(x, torch_pad(pb, [max(p, 0) for p in pe]))
    out = g["out"]
    full = [(x.shape[2 + a] - (d[a] * (g["kernel"][a] - 1) + 1)) // s[a] + 1 for a in range(2)]
    grow = [0, full[1] - out[1], 0, full[0] - out[0]]
    offset = F.pad(offset, grow)
    if mask is not None:
        mask = F.pad(mask, grow)
    y = torchvision.ops.deform_conv2d(x, offset, w, b, stride=s, padding=0, dilation=d, mask=mask)
    return y[:, :, :out[0], :out[1]]


def dynamic(g, x, w, b, route_w, route_b, plant):
    mb, ic, oc, rank = g["mb"], g["ic"], g["oc"], g["rank"]
    gap = x.mean(dim=tuple(range(2, 2 + rank)))
    r = F.linear(gap, route_w, route_b)
    if g["routing"] == "softmax":
        alpha = torch.softmax(r / g.get("temperature", 1.0), dim=1)
    else:
        alpha = torch.sigmoid(r)
    if plant == "route-detach":
        alpha = alpha.detach()
    e = w.shape[0]
    wmix = (alpha @ w.reshape(e, -1)).reshape((mb * oc,) + tuple(w.shape[2:]))
    bmix = None if b is None else (alpha @ b).reshape(mb * oc)
    s, d = strides(g, plant)
    xp = F.pad(x, torch_pad(g["pad_begin"], end_pad(g, plant)))
    xs = xp.reshape((1, mb * ic) + tuple(xp.shape[2:]))
    y = grouped(CONV[rank], xs, wmix, bmix, mb * g["groups"], plant, stride=s, dilation=d)
    return y.reshape((mb, oc) + tuple(y.shape[2:]))


def forward(op, g, t, plant):
    """The forward expression of op on the tensors t (a dict by name)."""
    if op == "conv":
        return conv(g, t["x"], t["w"], t.get("b"), plant)
    if op == "deconv":
        return deconv(g, t["x"], t["w"], t.get("b"), plant)
    if op == "deform":
        return deform(g, t["x"], t["w"], t.get("b"), t["offset"], t.get("mask"), plant)
    if op == "dynamic":
        return dynamic(g, t["x"], t["w"], t.get("b"), t["route_w"], t["route_b"], plant)
    raise Unsupported("op %r: this worker runs conv, deconv, deform and dynamic" % op)


def shapes(op, g):
    """The shape of every tensor of a case, from its geometry."""
    mb, ic, oc, grp, k = g["mb"], g["ic"], g["oc"], g["groups"], list(g["kernel"])
    sh = {"x": [mb, ic] + list(g["in"]), "y": [mb, oc] + list(g["out"]), "b": [oc]}
    if op == "deconv":
        sh["w"] = [ic, oc // grp] + k
    else:
        sh["w"] = [oc, ic // grp] + k
    if op == "deform":
        taps = k[0] * k[1]
        sh["offset"] = [mb, 2 * g["offset_groups"] * taps] + list(g["out"])
        sh["mask"] = [mb, g["offset_groups"] * taps] + list(g["out"])
    if op == "dynamic":
        e = g["experts"]
        sh["w"] = [e] + sh["w"]
        sh["b"] = [e, oc]
        sh["route_w"], sh["route_b"] = [e, ic], [e]
    return sh


def prepare_grad(d, case, plant):
    """Loads a backward case; returns the names of the gradients it writes
    and a function that computes them by autograd."""
    op, g, direction = case["op"], case["x-geometry"], case["dir"]
    if op not in ("conv", "deconv", "deform", "dynamic"):
        raise Unsupported("op %r: this worker runs conv, deconv, deform and dynamic" % op)
    sh = shapes(op, g)
    names = ["x", "w", "b"] + {"deform": ["offset", "mask"], "dynamic": ["route_w", "route_b"]}.get(op, [])
    t = {}
    for n in names:
        v = load(d, n + ".npy", required=False)
        if v is None and n not in ("b", "mask"):
            v = torch.zeros(sh[n])  # not read by this direction: its gradient does not depend on it
        if v is not None:
            t[n] = v
    dy = load(d, "dy.npy")
    if direction == "BWD_D":
        wrt = ["x"] + (["offset"] + (["mask"] if "mask" in t else []) if op == "deform" else [])
    elif direction in ("BWD_W", "BWD_WB"):
        wrt = ["w"] + (["b"] if direction == "BWD_WB" else []) + (["route_w", "route_b"] if op == "dynamic" else [])
    else:
        raise Unsupported("dir %r: want BWD_D, BWD_W or BWD_WB" % direction)
    if "b" in wrt and "b" not in t:
        t["b"] = torch.zeros(sh["b"])
    if op == "deform" and g.get("mask") and "mask" not in t:
        t["mask"] = torch.zeros(sh["mask"])  # BWD_W of DCNv2 reads it; never happens
    leaves = [t[n].requires_grad_(True) for n in wrt]
    with torch.enable_grad():
        y = forward(op, g, t, plant)
    if tuple(y.shape) != tuple(dy.shape):
        raise ValueError("dy.npy: shape %s, the forward output is %s" % (tuple(dy.shape), tuple(y.shape)))

    def compute():
        gs = torch.autograd.grad(y, leaves, grad_outputs=dy, retain_graph=True, allow_unused=True)
        out = {}
        for n, leaf, gr in zip(wrt, leaves, gs):
            out["d" + n] = torch.zeros_like(leaf) if gr is None else gr
        if plant == "db-batch" and "db" in out and op != "dynamic":
            out["db"] = dy[:1].sum(dim=[0] + list(range(2, dy.dim())))
        return out
    return compute


def prepare(d, plant):
    """Loads a case folder; returns a function that computes y, or for a
    backward case a dict of gradients by file name (without .npy)."""
    with open(os.path.join(d, "case.json")) as f:
        case = json.load(f)
    if case.get("dir", "FWD_B") not in ("FWD_B", "FWD_D"):
        return prepare_grad(d, case, plant)
    op, g = case["op"], case["x-geometry"]
    x, w, b = load(d, "x.npy"), load(d, "w.npy"), load(d, "b.npy", required=False)
    if op == "conv":
        return lambda: conv(g, x, w, b, plant)
    if op == "deconv":
        return lambda: deconv(g, x, w, b, plant)
    if op == "deform":
        offset, mask = load(d, "offset.npy"), load(d, "mask.npy", required=False)
        return lambda: deform(g, x, w, b, offset, mask, plant)
    if op == "dynamic":
        route_w, route_b = load(d, "route_w.npy"), load(d, "route_b.npy")
        return lambda: dynamic(g, x, w, b, route_w, route_b, plant)
    raise Unsupported("op %r: this worker runs conv, deconv, deform and dynamic" % op)


def run_case(d, plant, timing=None):
    """Computes d/y.npy; with timing, R timed runs after K untimed, and
    returns their nanoseconds."""
    compute = prepare(d, plant)
    ns = None
    with torch.no_grad():
        if timing is None:
            y = compute()
        else:
            reps, warmup, threads = int(timing["reps"]), int(timing["warmup"]), int(timing["threads"])
            if reps < 1 or warmup < 0 or threads < 1:
                raise Unsupported("timing %r: want reps >= 1, warmup >= 0, threads >= 1" % (timing,))
            set_threads(threads)
            try:
                for _ in range(warmup):
                    compute()
                ns = []
                for _ in range(reps):
                    t0 = time.perf_counter_ns()
                    y = compute()
                    ns.append(time.perf_counter_ns() - t0)
            finally:
                set_threads(1)
    if not isinstance(y, dict):
        y = {"y": y}
    for name, v in y.items():
        np.save(os.path.join(d, name + ".npy"), np.ascontiguousarray(v.detach().numpy(), dtype=np.float32))
    return ns


# The thread-count setters of the BLAS libraries torch may have mapped.
# torch.set_num_threads sets OpenMP's (oneDNN's) and MKL's pools, but not
# OpenBLAS's pthread pool, which starts one thread per core: PyTorch 1.13
# runs a 1×1 stride-1 conv at batch 1 and one thread through sgemm, so
# with 2 cores those "1 thread" timings kept 1.9 cores busy (512→512 1×1
# at 14²: 122 GFLOP/s, 74 with the pool capped; its deconvolution and
# deform layers, measured the same way, stayed on one core). convverify
# bench measures each request's CPU time and warns when a peer exceeds its
# thread count.
BLAS_SETTERS = (("libopenblas", "openblas_set_num_threads"), ("libblis", "bli_thread_set_num_threads"))


def set_threads(n):
    """Caps torch's pools and every mapped BLAS's own pool at n threads."""
    torch.set_num_threads(n)
    for path in mapped(tuple(prefix for prefix, _ in BLAS_SETTERS)):
        base = os.path.basename(path)
        for prefix, setter in BLAS_SETTERS:
            if base.startswith(prefix):
                getattr(ctypes.CDLL(path), setter)(ctypes.c_int(n))


def mapped(prefixes):
    """The paths of the shared libraries this process mapped whose file name
    starts with one of prefixes."""
    found = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and os.path.basename(parts[-1]).startswith(prefixes):
                    found.add(parts[-1])
    except OSError:
        pass
    return sorted(found)


def libraries():
    """The BLAS and oneDNN builds this process mapped (Debian's torch takes
    whichever libblas.so.3 the alternatives system names: OpenBLAS with
    libopenblas0-pthread, else the slow reference BLAS), for the name."""
    return sorted(set(os.path.basename(p) for p in mapped(("libopenblas", "libdnnl", "libmkl_core", "libblis", "libblas.so"))
                      if not (os.path.basename(p).startswith("libblas.so") and "openblas" in p)))


def main():
    plant = os.environ.get("CONVVERIFY_PLANT", "")
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--plant":
        plant = args[1]
    elif args:
        sys.exit("usage: worker.py [--plant NAME]")
    if plant and plant not in PLANTS:
        sys.exit("worker.py: unknown plant %r (have %s)" % (plant, ", ".join(PLANTS)))
    set_threads(1)  # small problems: one thread is faster and deterministic
    name = "pytorch %s, torchvision %s" % (torch.__version__, torchvision.__version__)
    libs = libraries()
    if libs:
        name += " (%s)" % ", ".join(libs)
    if plant:
        name += " (planted bug: %s)" % plant
    hello = {"protocol": "convverify-worker", "version": 1, "name": name,
             "ops": ["conv", "deconv", "deform", "dynamic"], "caps": ["time", "grad"]}
    out = sys.stdout
    out.write(json.dumps(hello) + "\n")
    out.flush()
    for line in sys.stdin:
        req = json.loads(line)
        try:
            ns = run_case(req["dir"], plant, req.get("time"))
            reply = {"id": req["id"], "ok": True}
            if ns is not None:
                reply["ns"] = ns
        except Unsupported as e:
            reply = {"id": req["id"], "error": str(e)}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
    except Exception:
        traceback.print_exc()
        sys.exit(1)
