"""Reads a sitewatch model file (.swm) into a PyTorch module that computes
what sitewatch's C engine computes (folded convolutions, float32). Used by
the inference benchmark and handy for checking a model from Python."""
import json
import struct
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_swm(path):
    b = open(path, "rb").read()
    if b[:8] != b"SWMODEL\0":
        raise ValueError(f"{path}: bad magic")
    if zlib.crc32(b[:-4]) & 0xFFFFFFFF != struct.unpack("<I", b[-4:])[0]:
        raise ValueError(f"{path}: checksum mismatch")
    version, jlen = struct.unpack("<II", b[8:16])
    h = json.loads(b[16:16 + jlen])
    start = (16 + jlen + 15) // 16 * 16
    dt = np.float16 if h["dtype"] == "f16" else np.float32
    es = np.dtype(dt).itemsize
    layers = {}
    for L in h["layers"]:
        def get(t):
            o, n = L[t]["offset"], L[t]["count"]
            return torch.from_numpy(np.frombuffer(b, dt, n, start + o).astype(np.float32))
        w = get("weight").reshape(L["cout"], L["cin"], L["k"], L["k"])
        layers[L["name"]] = (w, get("bias"), L["relu"])
    return h, layers


class FoldedNet(nn.Module):
    """The network as sitewatch's C engine runs it: folded convolutions
    {name: (weight, bias, relu)}, max pooling, nearest upsampling,
    |difference| skips, a sigmoid. The tensors' dtype sets the arithmetic."""

    def __init__(self, layers, depth):
        super().__init__()
        self.L = layers
        self.depth = depth

    def conv(self, name, x):
        w, b, relu = self.L[name]
        y = F.conv2d(x, w, b, padding=w.shape[2] // 2)
        return F.relu(y) if relu else y

    def forward(self, a, b):
        def enc(x):
            feats = []
            for i in range(self.depth):
                if i > 0:
                    x = F.max_pool2d(x, 2)
                x = self.conv(f"enc{i}.1", self.conv(f"enc{i}.0", x))
                feats.append(x)
            return feats
        fa, fb = enc(a), enc(b)
        d = [torch.abs(p - q) for p, q in zip(fa, fb)]
        x = d[-1]
        for i in reversed(range(self.depth - 1)):
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = self.conv(f"dec{i}.1", self.conv(f"dec{i}.0", torch.cat([x, d[i]], 1)))
        return torch.sigmoid(self.conv("head", x))


class SwmNet(FoldedNet):
    """A .swm file, ready to run."""

    def __init__(self, path):
        header, layers = read_swm(path)
        super().__init__(layers, header["depth"])
        self.header = header


def retag_swm(src, dst, **changes):
    """Copies a model file with header keys changed (name, threshold,
    provenance notes); the tensor data is copied byte for byte."""
    b = open(src, "rb").read()
    read_swm(src)  # checks magic and checksum
    jlen = struct.unpack("<II", b[8:16])[1]
    h = json.loads(b[16:16 + jlen])
    start = (16 + jlen + 15) // 16 * 16
    data = b[start:start + h["data_bytes"]]
    for k, v in changes.items():
        if isinstance(v, dict) and isinstance(h.get(k), dict):
            h[k].update(v)
        else:
            h[k] = v
    js = json.dumps(h, indent=1).encode()
    head = b"SWMODEL\0" + struct.pack("<II", 1, len(js)) + js
    head += b"\0" * ((-len(head)) % 16)
    body = head + data
    with open(dst, "wb") as f:
        f.write(body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF))


if __name__ == "__main__":  # python3 train/swm.py retag SRC DST '{"name": ...}'
    import sys
    if len(sys.argv) == 5 and sys.argv[1] == "retag":
        retag_swm(sys.argv[2], sys.argv[3], **json.loads(sys.argv[4]))
    else:
        sys.exit("usage: python3 train/swm.py retag SRC DST JSON")
