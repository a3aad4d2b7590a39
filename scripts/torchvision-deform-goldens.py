#!/usr/bin/python3
"""Write fresh random torchvision deform_conv2d cases as golden-format folders.

Usage: /usr/bin/python3 scripts/torchvision-deform-goldens.py OUTDIR [--count N] [--seed S]

Each case is a folder OUTDIR/tv_deform_NNNN with case.json
{"op": "deform", "problem": "<benchdnn descriptor>", "name": ..., "source": ...}
and x.npy w.npy b.npy offset.npy mask.npy y.npy (little-endian float32, C order),
y computed by torchvision.ops.deform_conv2d on the CPU in float32. The draws
cover batch 1-3, groups, offset groups, mask or none, bias or none, strides,
dilations and paddings; values are N(0, 1), offsets N(0, 1.5) (a few pixels),
masks U(0, 1), so that positions fall at fractions all over the image and
just outside it. Existing case folders are never overwritten: the script
refuses an OUTDIR that already holds a case of the same name.

Verify with: go run ./cmd/convverify check --golden OUTDIR
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np
import torch
import torchvision
from torchvision.ops import deform_conv2d


def draw(rng):
    """One random problem: a dict of sizes, or None if its output is empty."""
    g = int(rng.choice([1, 1, 2, 3]))
    icg = int(rng.integers(1, 4))
    ic = g * icg
    dgs = [d for d in range(1, ic + 1) if ic % d == 0]
    dg = int(rng.choice(dgs))
    oc = g * int(rng.integers(1, 4))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    dh, dw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    ph, pw = int(rng.integers(0, 3)), int(rng.integers(0, 3))
    ih, iw = int(rng.integers(3, 13)), int(rng.integers(3, 13))
    oh = (ih + 2 * ph - ((kh - 1) * dh + 1)) // sh + 1
    ow = (iw + 2 * pw - ((kw - 1) * dw + 1)) // sw + 1
    if oh < 1 or ow < 1:
        return None
    return dict(mb=int(rng.integers(1, 4)), g=g, ic=ic, oc=oc, dg=dg, ih=ih, iw=iw, oh=oh, ow=ow,
                kh=kh, kw=kw, sh=sh, sw=sw, ph=ph, pw=pw, dh=dh, dw=dw,
                mask=bool(rng.integers(0, 4) != 0), bias=bool(rng.integers(0, 4) != 0))


def descriptor(p, name):
    """The benchdnn descriptor (dilation spelled as benchdnn's d = dil - 1)."""
    return ("g{g}mb{mb}ic{ic}ih{ih}iw{iw}oc{oc}oh{oh}ow{ow}kh{kh}kw{kw}"
            "sh{sh}sw{sw}ph{ph}pw{pw}dh{dhb}dw{dwb}n{name}").format(
                dhb=p["dh"] - 1, dwb=p["dw"] - 1, name=name, **p)


def f32(rng, shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def case(rng, p):
    x = f32(rng, (p["mb"], p["ic"], p["ih"], p["iw"]))
    w = f32(rng, (p["oc"], p["ic"] // p["g"], p["kh"], p["kw"]))
    b = f32(rng, (p["oc"],)) if p["bias"] else None
    taps = p["dg"] * p["kh"] * p["kw"]
    off = f32(rng, (p["mb"], 2 * taps, p["oh"], p["ow"]), 1.5)
    mask = rng.uniform(0, 1, (p["mb"], taps, p["oh"], p["ow"])).astype(np.float32) if p["mask"] else None
    t = lambda a: None if a is None else torch.from_numpy(a)
    with torch.no_grad():
        y = deform_conv2d(t(x), t(off), t(w), t(b), stride=(p["sh"], p["sw"]), padding=(p["ph"], p["pw"]),
                          dilation=(p["dh"], p["dw"]), mask=t(mask))
    y = np.ascontiguousarray(y.numpy().astype(np.float32))
    return dict(x=x, w=w, b=b, offset=off, mask=mask, y=y)


def write(outdir, name, p, arrays, seed):
    final = os.path.join(outdir, name)
    if os.path.lexists(final):
        sys.exit("%s: exists; refusing to replace it (write into a new folder)" % final)
    tmp = tempfile.mkdtemp(prefix="." + name + ".", dir=outdir)
    meta = {"op": "deform", "problem": descriptor(p, name), "name": name,
            "source": "torchvision %s deform_conv2d (torch %s, CPU, float32), scripts/torchvision-deform-goldens.py seed %d"
                      % (torchvision.__version__, torch.__version__, seed)}
    with open(os.path.join(tmp, "case.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    for k, a in arrays.items():
        if a is not None:
            path = os.path.join(tmp, k + ".npy")
            with open(path, "wb") as f:
                np.save(f, a)
                f.flush()
                os.fsync(f.fileno())
    os.rename(tmp, final)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--seed", type=int, default=8)
    a = ap.parse_args()
    if a.count < 1:
        ap.error("--count must be >= 1")
    os.makedirs(a.outdir, exist_ok=True)
    torch.set_num_threads(1)
    rng = np.random.default_rng(a.seed)
    i = 0
    while i < a.count:
        p = draw(rng)
        if p is None:
            continue
        write(a.outdir, "tv_deform_%04d" % i, p, case(rng, p), a.seed)
        i += 1


if __name__ == "__main__":
    main()
