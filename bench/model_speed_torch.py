#!/usr/bin/env python3
"""Megapixels per second of the same model in PyTorch (CPU, T threads), on
the same 512 x 512 tiles as bench/model_speed.c: a batch of T tiles.

    model_speed_torch.py MODEL [THREADS] [ROUNDS]
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "train"))
import torch  # noqa: E402
from swm import SwmNet  # noqa: E402

path = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 4
torch.set_num_threads(threads)
net = SwmNet(path).eval()
S = 512
a = torch.rand(threads, net.header["bands"], S, S) - 0.5
b = torch.rand(threads, net.header["bands"], S, S) - 0.5
with torch.no_grad():
    net(a[:1], b[:1])
    t0 = time.time()
    for _ in range(rounds):
        net(a, b)
    s = time.time() - t0
mpx = threads * rounds * S * S / 1e6
print(f"PyTorch {torch.__version__} CPU, {threads} threads: {mpx / s:.3f} Mpx/s ({s:.2f} s for {mpx:.2f} Mpx)")
