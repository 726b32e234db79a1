#!/usr/bin/env python3
"""Trains sitewatch's learned building-change detector and exports it as a
sitewatch model file (.swm, format in docs/model-format.md).

    python3 train/train.py --data train/data/pairs.npz --out OUTDIR
                           [--width 24] [--minutes 6] [--batch 16] [--seed 7]
                           [--sets levir] [--gsd 0.5] [--depth 4]
                           [--val NAMES] [--heldout NAMES]

--gsd coarser than the data trains a coarse-sensor model: each crop is cut
sharp and degraded by train/degrade.py's random sensor; validation and
held-out pairs are area-averaged to --gsd. --val and --heldout move pairs
or sets (e.g. OSCD cities from train/pack_s2.py) to those splits; training
pairs of sets not in --sets are held out too.

The network is a Siamese U-Net in the FC-Siam-diff style: one encoder shared
by both dates (four levels of two 3x3 conv + batch-norm + ReLU, 2x2 max
pooling between levels), absolute differences of the two dates' features as
skips, a decoder of nearest-neighbour 2x upsampling, concatenation and two
conv + BN + ReLU, and a 1x1 head. Inputs are each date's bands standardized
per band over the whole image (sitewatch does the same over the scene).

Training draws 256x256 crops from the training pairs (half of them centred on
change) with augmentation that matters for real pairs: flips and rotations,
date swap, per-date radiometric jitter (gain, offset, gamma per band), haze,
random misregistration of one date by up to two pixels, and copy-paste of
changed regions (buildings with their label) from another pair into date 2.
Loss: binary cross-entropy plus soft Dice. AdamW, cosine learning rate over
the time budget. Only the sets named by --sets are trained on: LEVIR-CD's
building-change labels by default, since DSIFN and CDD also mark roads,
cleared ground and cars as change, which a building detector must not (and
FOTBCD and EGY-BCD cost held-out LEVIR-CD accuracy: train/README.md).

It then picks the operating threshold that maximizes F1 on the validation
pairs (never trained on), scores the held-out pairs at 0.5 and at that
threshold, folds batch-norm into the convolutions, writes model.swm (fp16
weights, the threshold in its header) and reference tiles with the folded
model's float32 outputs for the C engine's parity test.
"""
import argparse
import json
import math
import os
import struct
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from swm import FoldedNet  # noqa: E402
import degrade  # noqa: E402


# ---------------------------------------------------------------- the model

class ConvBN(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SiamDiffUNet(nn.Module):
    def __init__(self, bands=3, width=24, depth=4):
        super().__init__()
        self.depth = depth
        ch = [width * 2 ** i for i in range(depth)]
        self.ch = ch
        self.enc = nn.ModuleList()
        cin = bands
        for c in ch:
            self.enc.append(nn.Sequential(ConvBN(cin, c), ConvBN(c, c)))
            cin = c
        self.dec = nn.ModuleList()
        for i in reversed(range(depth - 1)):
            self.dec.append(nn.Sequential(ConvBN(ch[i + 1] + ch[i], ch[i]), ConvBN(ch[i], ch[i])))
        self.head = nn.Conv2d(ch[0], 1, 1)

    def encode(self, x):
        feats = []
        for i, stage in enumerate(self.enc):
            if i > 0:
                x = F.max_pool2d(x, 2)
            x = stage(x)
            feats.append(x)
        return feats

    def forward(self, a, b):
        fa, fb = self.encode(a), self.encode(b)
        d = [torch.abs(p - q) for p, q in zip(fa, fb)]
        x = d[-1]
        for k, stage in enumerate(self.dec):
            i = self.depth - 2 - k
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = stage(torch.cat([x, d[i]], 1))
        return self.head(x)


def standardize(x):
    """x: (N, C, H, W) float; per image and band over H, W."""
    m = x.mean(dim=(2, 3), keepdim=True)
    s = x.std(dim=(2, 3), keepdim=True).clamp_min(1e-3)
    return (x - m) / s


# ---------------------------------------------------------------- the data

def load_pairs(path, device, val=(), heldout=()):
    """The packed pairs; `val` and `heldout` name pairs (or sets) moved to
    those splits (a split by city, for the Sentinel-2 pack)."""
    z = np.load(path)
    pairs = []
    for k in range(int(z["count"])):
        meta = [str(v) for v in z[f"meta{k}"]]
        name, set_, split, h, w, up = meta[:6]
        gsd = float(meta[6]) if len(meta) > 6 else 0.5 * int(up)
        split = "val" if name in val or set_ in val else "heldout" if name in heldout or set_ in heldout else split
        h, w = int(h), int(w)
        L = np.unpackbits(z[f"L{k}"])[: h * w].reshape(h, w)
        to = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(device)
        pairs.append(dict(name=name, set=set_, split=split, up=int(up), gsd=gsd,
                          A=to(z[f"A{k}"]).permute(2, 0, 1), B=to(z[f"B{k}"]).permute(2, 0, 1),
                          L=to(L.astype(np.uint8))))
    return pairs


def band_names(path):
    z = np.load(path)
    return [str(v) for v in z["band_names"]] if "band_names" in z.files else ["red", "green", "blue"]


class Sampler:
    """Training crops of `crop` pixels at the model's pixel size `gsd`: cut
    from the sharp pairs and, when the model is coarser, degraded by a random
    sensor (degrade.py) at a pixel size within +-15 % of the model's."""

    def __init__(self, pairs, crop, gen, weights=None, sets=None, gsd=0.5):
        self.gsd = gsd
        self.pairs = [p for p in pairs if p["split"] == "train" and min(p["L"].shape) >= crop // 2
                      and (sets is None or p["set"] in sets)]
        weights = weights or {}
        area = np.array([p["L"].numel() * weights.get(p["set"], 1.0) for p in self.pairs], dtype=np.float64)
        self.prob = area / area.sum()
        self.crop = crop
        self.rng = gen
        self.changed = [torch.nonzero(p["L"]) for p in self.pairs]

    def one(self, factor=1.0):
        """A crop of crop * factor sharp pixels."""
        k = self.rng.choice(len(self.pairs), p=self.prob)
        p = self.pairs[k]
        c = int(round(self.crop * factor))
        H, W = p["L"].shape
        if self.rng.random() < 0.5 and len(self.changed[k]):
            y, x = self.changed[k][self.rng.integers(len(self.changed[k]))].tolist()
            y0, x0 = y - c // 2 + self.rng.integers(-c // 4, c // 4 + 1), x - c // 2 + self.rng.integers(-c // 4, c // 4 + 1)
        else:
            y0, x0 = self.rng.integers(0, max(1, H - c + 1)), self.rng.integers(0, max(1, W - c + 1))
        y0, x0 = int(min(max(0, y0), max(0, H - c))), int(min(max(0, x0), max(0, W - c)))
        sl = (slice(y0, y0 + c), slice(x0, x0 + c))
        A, B, L = p["A"][:, sl[0], sl[1]], p["B"][:, sl[0], sl[1]], p["L"][sl]
        if A.shape[1] < c or A.shape[2] < c:  # small images: pad by reflection
            ph, pw = c - A.shape[1], c - A.shape[2]
            mode = "reflect" if ph < A.shape[1] and pw < A.shape[2] else "replicate"
            pad = lambda t: F.pad(t.float()[None], (0, pw, 0, ph), mode=mode)[0]
            A, B, L = pad(A), pad(B), pad(L[None])[0]
        return A.float(), B.float(), L.float()

    def batch(self, n):
        # the training pairs share one pixel size (FOTBCD resampled to 0.5 m by pack_data.py)
        src = self.pairs[0]["gsd"]
        factor = self.gsd * self.rng.uniform(0.85, 1.15) / src if self.gsd > src * 1.01 else 1.0
        As, Bs, Ls = zip(*[self.one(factor) for _ in range(n)])
        A, B, L = torch.stack(As), torch.stack(Bs), torch.stack(Ls)[:, None]
        if factor > 1.0:
            A = degrade.degrade(A, factor, self.rng, self.crop)
            B = degrade.degrade(B, factor, self.rng, self.crop)
            L = degrade.label_down(L, self.crop)
        return A, B, L


def augment(A, B, L, rng, paste_from, max_shift=2.0):
    n = A.shape[0]
    dev = A.device
    # copy-paste: changed pixels of another crop's date 2 become change here
    if paste_from is not None:
        pA, pB, pL = paste_from
        sel = torch.from_numpy(rng.random(n) < 0.3).to(dev)[:, None, None, None]
        m = (pL > 0.5) & sel
        B = torch.where(m, pB, B)
        L = torch.where(m, torch.ones_like(L), L)
    # date swap
    sw = torch.from_numpy(rng.random(n) < 0.5).to(dev)[:, None, None, None]
    A, B = torch.where(sw, B, A), torch.where(sw, A, B)
    # per-date radiometry: gain, offset, gamma per band
    def jitter(X):
        c = X.shape[1]
        g = torch.from_numpy(rng.uniform(0.75, 1.3, (n, c, 1, 1))).float().to(dev)
        o = torch.from_numpy(rng.uniform(-25, 25, (n, c, 1, 1))).float().to(dev)
        gam = torch.from_numpy(rng.uniform(0.75, 1.35, (n, 1, 1, 1))).float().to(dev)
        X = 255.0 * (X.clamp_min(0) / 255.0) ** gam
        return X * g + o
    A, B = jitter(A), jitter(B)
    # haze on one date
    hz = torch.from_numpy(rng.uniform(0, 0.35, (n, 1, 1, 1)) * (rng.random((n, 1, 1, 1)) < 0.25)).float().to(dev)
    B = B * (1 - hz) + 200.0 * hz
    # misregistration of date 2 by up to max_shift px (fractional, by bilinear resampling)
    sh = rng.uniform(-max_shift, max_shift, (n, 2)) * (rng.random((n, 1)) < 0.5)
    theta = torch.zeros(n, 2, 3, device=dev)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, 0, 2] = torch.from_numpy(sh[:, 0] * 2 / A.shape[3]).float().to(dev)
    theta[:, 1, 2] = torch.from_numpy(sh[:, 1] * 2 / A.shape[2]).float().to(dev)
    grid = F.affine_grid(theta, B.shape, align_corners=False)
    B = F.grid_sample(B, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    # flips and rotations, the same for all three
    k = int(rng.integers(4))
    flip = rng.random() < 0.5
    def geo(X):
        X = torch.rot90(X, k, (2, 3))
        return torch.flip(X, (3,)) if flip else X
    return geo(A), geo(B), geo(L)


# ---------------------------------------------------------------- scoring

@torch.no_grad()
def predict(model, A, B, up=1):
    """A, B: (C, H, W) tensors; returns probabilities (H, W)."""
    a, b = A.float()[None], B.float()[None]
    H, W = a.shape[2:]
    if up != 1:
        a = F.interpolate(a, scale_factor=up, mode="bilinear", align_corners=False)
        b = F.interpolate(b, scale_factor=up, mode="bilinear", align_corners=False)
    a, b = standardize(a), standardize(b)
    h, w = a.shape[2:]
    m = 2 ** (model.depth - 1)
    ph, pw = (-h) % m, (-w) % m
    a = F.pad(a, (0, pw, 0, ph), mode="reflect")
    b = F.pad(b, (0, pw, 0, ph), mode="reflect")
    p = torch.sigmoid(model(a, b).float())[:, :, :h, :w]
    if up != 1:
        p = F.adaptive_avg_pool2d(p, (H, W))
    return p[0, 0]


def probabilities(model, pairs, split):
    """(set, probabilities, truth) of every pair of a split."""
    model.eval()
    out = [(p["set"], predict(model, p["A"], p["B"], p["up"]), p["L"] > 0) for p in pairs if p["split"] == split]
    model.train()
    return out


def pooled(probs, threshold):
    """Pooled scores per set at one threshold."""
    res = {}
    for s, prob, t in probs:
        pred = prob > threshold
        c = res.setdefault(s, [0, 0, 0, 0])
        c[0] += int((pred & t).sum()); c[1] += int((pred & ~t).sum())
        c[2] += int((~pred & t).sum()); c[3] += int((~pred & ~t).sum())
    out = {}
    for s, (tp, fp, fn, tn) in res.items():
        out[s] = dict(f1=2 * tp / max(1, 2 * tp + fp + fn), iou=tp / max(1, tp + fp + fn),
                      precision=tp / max(1, tp + fp), recall=tp / max(1, tp + fn), tp=tp, fp=fp, fn=fn, tn=tn)
    return out


def best_threshold(probs):
    """The threshold in 0.05 .. 0.95 with the best pooled F1 over all of probs."""
    best = (-1.0, 0.5)
    for t in np.arange(0.05, 0.951, 0.05):
        tot = pooled([("all", p, l) for _, p, l in probs], float(t))["all"]
        best = max(best, (tot["f1"], round(float(t), 2)))
    return best[1], best[0]


# ---------------------------------------------------------------- export

def folded_layers(model):
    """Conv layers in execution order with batch-norm folded in:
    list of (name, weight (out, in, k, k), bias (out,), relu)."""
    layers = []

    def fold(name, cbn):
        conv, bn = cbn[0], cbn[1]
        s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        w = conv.weight * s[:, None, None, None]
        b = bn.bias - bn.running_mean * s
        layers.append((name, w.detach().float().cpu(), b.detach().float().cpu(), True))

    for i, stage in enumerate(model.enc):
        for j, cbn in enumerate(stage):
            fold(f"enc{i}.{j}", cbn)
    for k, stage in enumerate(model.dec):
        for j, cbn in enumerate(stage):
            fold(f"dec{model.depth - 2 - k}.{j}", cbn)
    layers.append(("head", model.head.weight.detach().float().cpu(), model.head.bias.detach().float().cpu(), False))
    return layers


def write_swm(path, model, layers, meta, dtype="f16"):
    """The .swm file: magic, version, JSON header, aligned tensor data, CRC32."""
    blobs, entries, off = [], [], 0
    for name, w, b, relu in layers:
        arrs = []
        for t in (w, b):
            a = t.numpy().astype(np.float16 if dtype == "f16" else np.float32)
            arrs.append(a)
        e = dict(name=name, op="conv", cin=int(w.shape[1]), cout=int(w.shape[0]), k=int(w.shape[2]), relu=relu)
        for key, a in zip(("weight", "bias"), arrs):
            raw = a.tobytes()
            pad = (-off) % 16
            blobs.append(b"\0" * pad)
            off += pad
            e[key] = dict(offset=off, count=int(a.size))
            blobs.append(raw)
            off += len(raw)
        entries.append(e)
    header = dict(meta)
    header.update(format="sitewatch-model", version=1, arch="siam-diff-unet", dtype=dtype,
                  depth=model.depth, channels=model.ch, layers=entries, data_bytes=off)
    js = json.dumps(header, indent=1).encode()
    head = b"SWMODEL\0" + struct.pack("<II", 1, len(js)) + js
    head += b"\0" * ((-len(head)) % 16)
    body = head + b"".join(blobs)
    with open(path, "wb") as f:
        f.write(body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF))


def Folded(model, layers, dtype):
    """The exported network as the C engine runs it, with the weights
    rounded to the file's precision (float32 arithmetic)."""
    rnd = (lambda t: t.half().float()) if dtype == "f16" else (lambda t: t)
    return FoldedNet({n: (rnd(w), rnd(b), r) for n, w, b, r in layers}, model.depth)


def write_reference(outdir, folded, pairs):
    """Small tiles for the C parity test: standardized inputs (float32,
    band-sequential) and the folded model's probabilities, float64 arithmetic
    so the reference itself carries no float32 rounding."""
    p = next((q for q in pairs if q["name"] == "levir/test_5"), None) or \
        next(q for q in pairs if q["split"] != "train")
    # The windows of each size holding the most change, so the reference
    # covers the whole range of probabilities, not just "no change".
    tiles = []
    for h, w in ((64, 96), (40, 56)):
        L = p["L"].float().cpu()
        best = max(((float(L[y:y + h, x:x + w].mean()), y, x) for y in range(0, L.shape[0] - h, 16)
                    for x in range(0, L.shape[1] - w, 16) if (y, x) not in [(t[2], t[3]) for t in tiles]))
        tiles.append((h, w, best[1], best[2]))
    folded64 = FoldedNet({n: (w.double(), b.double(), r) for n, (w, b, r) in folded.L.items()}, folded.depth)
    for t, (h, w, y0, x0) in enumerate(tiles):
        a = standardize(p["A"][None, :, y0:y0 + h, x0:x0 + w].float().cpu()).double()
        b = standardize(p["B"][None, :, y0:y0 + h, x0:x0 + w].float().cpu()).double()
        with torch.no_grad():
            prob = folded64(a, b)
        with open(os.path.join(outdir, f"ref{t}.bin"), "wb") as f:
            f.write(struct.pack("<4sII", b"SWRT", h, w))
            f.write(a.float().numpy().tobytes() + b.float().numpy().tobytes() + prob.float().numpy().tobytes())


# ---------------------------------------------------------------- main

def split_names(pairs, split):
    """The pairs of a split, briefly: 'levir: test_5; szada: 1, 2'."""
    by = {}
    for p in pairs:
        if p["split"] == split:
            by.setdefault(p["set"], []).append(p["name"].split("/", 1)[-1])
    return "; ".join(f"{s}: {', '.join(v)}" for s, v in sorted(by.items())) or "none"


def coarse(pairs, sets, gsd):
    """Pairs the model judges at its own pixel size: validation and held-out
    pairs sharper than `gsd` are area-averaged to it (degrade.py), and
    training pairs of sets not trained on become held out (never seen, never
    used to choose). Training pairs stay sharp: the sampler degrades them."""
    for p in pairs:
        if p["split"] == "train" and p["set"] not in sets:
            p["split"] = "heldout"
        if p["split"] != "train" and gsd > p["gsd"] * 1.01:
            factor = gsd / p["gsd"]
            p["up"] = 1  # judged at the coarse pixels, never upsampled
            p["A"], p["B"], p["L"] = degrade.degrade_pair_fixed(p["A"], p["B"], p["L"], factor)
            p["gsd"] = gsd

def export_only(args, dev):
    """Re-exports an earlier run's model.pt (--export-from) without training."""
    pairs = load_pairs(args.data, "cpu")
    coarse(pairs, [], args.gsd)
    model = SiamDiffUNet(len(band_names(args.data)), args.width, args.depth)
    model.load_state_dict(torch.load(args.export_from, map_location="cpu"))
    model.eval()
    layers = folded_layers(model)
    write_reference(args.out, Folded(model, layers, args.dtype), pairs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "data", "pairs.npz"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--width", type=int, default=24)
    ap.add_argument("--minutes", type=float, default=6.0)
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: the time budget)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--gsd", type=float, default=0.5,
                    help="the model's pixel size in metres; coarser than the data: degrade.py makes it")
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--shift", type=float, default=2.0, help="largest misregistration augmented, model pixels")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dtype", default="f16", choices=("f16", "f32"))
    ap.add_argument("--init", help="start from these weights (a model.pt of an earlier run)")
    ap.add_argument("--weight", default="levir=2", help="sampling weight per set, e.g. levir=2,dsifn=1")
    ap.add_argument("--sets", default="levir", help="the sets trained on (labels of one meaning)")
    ap.add_argument("--name", default="sitewatch-buildings")
    ap.add_argument("--export-from", help="only write reference tiles for this model.pt")
    ap.add_argument("--val", default="", help="pairs or sets (comma-separated) to validate on instead")
    ap.add_argument("--heldout", default="", help="pairs or sets (comma-separated) to hold out instead")
    ap.add_argument("--describe", default="", help="the data and split, for the model's provenance")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.export_from:
        return export_only(args, "cpu")
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    if dev == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)  # Debian's torch starts with one
    amp = dev == "cuda"
    if dev == "cuda":
        torch.backends.cudnn.benchmark = True
    pairs = load_pairs(args.data, dev, args.val.split(","), args.heldout.split(","))
    names = band_names(args.data)
    weights = {k: float(v) for k, v in (kv.split("=") for kv in args.weight.split(",") if kv)}
    sets = args.sets.split(",")
    sampler = Sampler(pairs, args.crop, rng, weights, sets, args.gsd)
    coarse(pairs, sets, args.gsd)
    model = SiamDiffUNet(len(names), args.width, args.depth)
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu"))
    model = model.to(dev).to(memory_format=torch.channels_last)
    nparams = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    log = open(os.path.join(args.out, "train.log"), "w")

    def say(*a):
        s = " ".join(str(x) for x in a)
        print(s, flush=True)
        log.write(s + "\n")
        log.flush()

    say(f"device {dev}, {nparams} parameters, {len(sampler.pairs)} training pairs of {','.join(sets)}, "
        f"torch {torch.__version__}")
    t0, step, budget = time.time(), 0, args.minutes * 60
    while True:
        frac = (time.time() - t0) / budget if not args.steps else step / args.steps
        if frac >= 1.0:
            break
        lr = args.lr * (0.5 * (1 + math.cos(math.pi * min(1.0, frac)))) * min(1.0, (step + 1) / 200)
        for g in opt.param_groups:
            g["lr"] = lr
        A, B, L = sampler.batch(args.batch)
        paste = [torch.roll(t, 1, 0) for t in (A, B, L)]  # another crop of the batch
        A, B, L = augment(A, B, L, rng, paste, args.shift)
        a, b = standardize(A), standardize(B)
        a = a.contiguous(memory_format=torch.channels_last)
        b = b.contiguous(memory_format=torch.channels_last)
        if amp:
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                logit = model(a, b)
        else:
            logit = model(a, b)
        logit = logit.float()
        prob = torch.sigmoid(logit)
        bce = F.binary_cross_entropy_with_logits(logit, L)
        dice = 1 - (2 * (prob * L).sum() + 1) / (prob.sum() + L.sum() + 1)
        loss = bce + dice
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 200 == 0 or step == 1:
            say(f"step {step} {time.time() - t0:.0f}s lr {lr:.2e} loss {loss.item():.4f} bce {bce.item():.4f} dice {dice.item():.4f}")
    train_s = time.time() - t0
    say(f"trained {step} steps in {train_s:.0f}s")
    torch.save(model.state_dict(), os.path.join(args.out, "model.pt"))
    model.eval()
    val = probabilities(model, pairs, "val")
    threshold, val_f1 = best_threshold(val) if val else (0.5, float("nan"))
    say(f"validation: F1 {val_f1:.4f} at threshold {threshold} "
        f"({pooled([('all', p, t) for _, p, t in val], 0.5)['all']['f1']:.4f} at 0.5)"
        if val else "no validation pairs: threshold 0.5")
    held = probabilities(model, pairs, "heldout")
    scores, scores05 = pooled(held, threshold), pooled(held, 0.5)
    for s, v in sorted(scores.items()):
        say(f"held-out {s}: F1 {v['f1']:.4f} IoU {v['iou']:.4f} P {v['precision']:.4f} R {v['recall']:.4f}"
            f" at {threshold} (F1 {scores05[s]['f1']:.4f} at 0.5)")
    del val, held
    model.cpu()
    layers = folded_layers(model)
    folded = Folded(model, layers, args.dtype)
    named = {"levir": "LEVIR-CD full tiles test_2, test_4", "dsifn": "DSIFN 0-6",
             "fotbcd": "FOTBCD (0.2 m resampled to 0.5 m)", "egy": "EGY-BCD", "cdd": "CDD",
             "oscd": "OSCD Sentinel-2 L1C, 13 bands on the 10 m grid"}
    meta = dict(
        name=args.name, bands=len(names), band_names=names, threshold=threshold,
        normalization="per date and band: (x - mean) / sd over the scene's valid pixels",
        gsd_m=args.gsd, receptive_halo_px=8 * 2 ** (model.depth - 1), tile_multiple=2 ** (model.depth - 1),
        provenance=dict(
            data=args.describe or (
                "train: " + "; ".join(named.get(s, s) for s in sets)
                + (" (" + ", ".join(p["name"] for p in pairs if p["split"] == "train" and p["set"] in sets) + ")"
                   if "oscd" in sets else "")
                + (f", degraded on the fly to {args.gsd} m (+-15 %) by train/degrade.py's random sensor"
                   if args.gsd > 0.5 and "oscd" not in sets else "")
                + ". validation (threshold, choice of run): " + split_names(pairs, "val")
                + ". held out: " + split_names(pairs, "heldout")
                + (f"; judged area-averaged to {args.gsd} m" if args.gsd > 0.5 and "oscd" not in sets else "")),
            validation_f1=round(val_f1, 4), threshold=threshold,
            licence=("research use: LEVIR-CD, DSIFN, FOTBCD, EGY-BCD, CDD and SZTAKI imagery and labels are "
                     "licensed for non-commercial research by their authors; OSCD's change maps are CC BY-NC-SA "
                     "on modified Copernicus Sentinel-2 data; see ../shared/data/*/SOURCE.txt"),
            command=" ".join(sys.argv), seed=args.seed, steps=step, train_seconds=round(train_s),
            device=torch.cuda.get_device_name() if dev == "cuda" else "cpu", torch=torch.__version__,
            parameters=nparams,
            heldout_scores={s: {k: round(v[k], 4) for k in ("f1", "iou", "precision", "recall")}
                            for s, v in scores.items()},
            heldout_f1_at_0_5={s: round(v["f1"], 4) for s, v in scores05.items()}))
    write_swm(os.path.join(args.out, "model.swm"), model, layers, meta, args.dtype)
    write_reference(args.out, folded, [dict(q, A=q["A"].cpu(), B=q["B"].cpu()) for q in pairs])
    with open(os.path.join(args.out, "scores.json"), "w") as f:
        json.dump(dict(scores=scores, scores_at_0_5=scores05, threshold=threshold, validation_f1=val_f1,
                       steps=step, seconds=train_s, params=nparams, sets=sets, command=" ".join(sys.argv)), f, indent=1)
    say("wrote", os.path.join(args.out, "model.swm"))


if __name__ == "__main__":
    main()
