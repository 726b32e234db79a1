"""A coarse-resolution sensor made from a sharp one: how train.py turns
sub-metre pairs into ~3 m (PlanetScope-like) training and judging data.

    degrade(x, factor, rng)      training: a random sensor per call
    degrade_fixed(x, factor)     judging: plain area averaging, as the
                                 issue that asked for 3 m measured it
    label_down(L, factor)        a coarse pixel is change when more than
                                 half of it changed

The sensor: the optics and detector blur (a Gaussian point-spread function
of 0 to 0.6 output pixels' sigma, so the data also holds plain averaging),
integration over the coarse pixel (area averaging by a non-integer factor,
so every sub-pixel phase occurs), a band response that differs from the
sharp camera's (gain per band within +-8 %), and sensor noise (Gaussian,
0.3-2.5 % of the 8-bit range, independent per band and date).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F


def _gauss_blur(x, sigma):
    """x (N, C, H, W); separable Gaussian of `sigma` input pixels, reflecting."""
    if sigma < 0.3:
        return x
    r = int(math.ceil(3 * sigma))
    t = torch.arange(-r, r + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    x = F.pad(x, (r, r, r, r), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def area_down(x, size):
    """Area averaging of (N, C, H, W) to (N, C, size[0], size[1])."""
    return F.adaptive_avg_pool2d(x, size)


def degrade(x, factor, rng, out=None):
    """x (N, C, H, W) float 0..255 at the sharp pixel size; factor = coarse
    pixel / sharp pixel (> 1). Returns (N, C, out, out) (default H/factor)."""
    n, c, h, w = x.shape
    size = out or (int(round(h / factor)), int(round(w / factor)))
    if isinstance(size, int):
        size = (size, size)
    # The blur acts on a grid twice as fine as the output (cheap, and close
    # to blurring the sharp image: the sharp pixels are far smaller).
    sig = float(rng.uniform(0.0, 0.6)) * 2
    y = area_down(_gauss_blur(area_down(x, (2 * size[0], 2 * size[1])), sig), size)
    gain = torch.from_numpy(rng.uniform(0.92, 1.08, (n, c, 1, 1))).float().to(x.device)
    noise = float(rng.uniform(0.8, 6.0))
    return y * gain + noise * torch.randn(y.shape, generator=None, device=x.device)


def degrade_fixed(x, factor):
    """Deterministic judging version: area averaging only."""
    h, w = x.shape[-2:]
    return area_down(x, (int(round(h / factor)), int(round(w / factor))))


def label_down(L, size):
    """L (N, 1, H, W) 0/1 -> (N, 1, size) 0/1: change where more than half changed."""
    if isinstance(size, int):
        size = (size, size)
    return (area_down(L.float(), size) > 0.5).float()


def degrade_pair_fixed(A, B, L, factor):
    """One pair, (C, H, W) uint8 tensors and (H, W) labels -> the coarse pair,
    (C, h, w) float and (h, w) uint8."""
    a = degrade_fixed(A.float()[None], factor)[0]
    b = degrade_fixed(B.float()[None], factor)[0]
    l = label_down(L.float()[None, None], tuple(a.shape[-2:]))[0, 0]
    return a, b, l.to(torch.uint8)

