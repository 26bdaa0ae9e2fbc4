#!/usr/bin/env python3
"""PyTorch baseline for hexgpu on the GPU machine: the same TwoHeadedResNet, end to end as
in docs/performance.md (compact boards in pinned host memory -> device -> 3-plane
input -> network -> softmax over legal cells -> pinned host memory), fp32 eager and fp16
NHWC + CUDA graph. Prints one JSON object per (mode, batch) on stdout.

fp32 modes run true fp32 (TF32 off for cuDNN and matmul, as hexgpu's fp32 runs);
"fp32-tf32-eager" is the same with TF32 allowed (PyTorch's default for convolutions),
labelled as such. cuDNN's autotuner (cudnn.benchmark) is on in every mode: the best
PyTorch can do, not its default.

  bench_pytorch.py --model full.safetensors --batch 1,64,256,4096,16384
  bench_pytorch.py --make-model full.safetensors   # random full-size weights (13x13, 64/128/256/512)
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def load_network_module():
    """The package's TwoHeadedResNet (python/hexgpu/network_torch.py), read from its file:
    this script runs from a checkout on the GPU machine, where the hexgpu package (its C
    extension) is not installed, and that module needs only PyTorch."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "python" / "hexgpu" / "network_torch.py"
    spec = importlib.util.spec_from_file_location("hexgpu_network_torch", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


network_torch = load_network_module()


def make_model(path):
    from safetensors.torch import save_file
    torch.manual_seed(1)
    net = network_torch.TwoHeadedResNet()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):  # trained-like statistics, so folding matters
                m.weight.uniform_(0.5, 1.5), m.bias.uniform_(-0.3, 0.3)
                m.running_mean.uniform_(-0.3, 0.3), m.running_var.uniform_(0.5, 1.5)
    sd = {k: v.contiguous() for k, v in net.state_dict().items()}
    save_file(sd, path, metadata={"board_size": "13", "arch": "TwoHeadedResNet"})
    print(f"wrote {path}: {sum(v.numel() for k, v in sd.items() if 'num_batches' not in k)} values", file=sys.stderr)


def random_packed(batch, n, gen):
    """Compact boards: [batch, 2, bytes] bit masks (Blue, Red) + [batch] side to move."""
    cells = n * n
    nbytes = (cells + 7) // 8
    occ = torch.rand(batch, cells, generator=gen)
    stones = (torch.rand(batch, 1, generator=gen) * cells).long()
    order = occ.argsort(dim=1)
    rank = order.argsort(dim=1)
    taken = rank < stones
    blue = taken & (rank % 2 == 0)
    red = taken & (rank % 2 == 1)
    planes = torch.stack([blue, red], 1).to(torch.uint8)
    planes = F.pad(planes, (0, nbytes * 8 - cells)).view(batch, 2, nbytes, 8)
    weights = (1 << torch.arange(8, dtype=torch.uint8))
    packed = (planes * weights).sum(-1).to(torch.uint8)
    side = (stones.squeeze(1) % 2).to(torch.uint8)
    return packed, side


class EndToEnd:
    """Pinned packed boards -> device -> planes -> net -> masked softmax -> pinned results."""

    def __init__(self, net, n, batch, half, graph, gen):
        self.n, self.batch, self.half = n, batch, half
        packed, side = random_packed(batch, n, gen)
        self.h_packed, self.h_side = packed.pin_memory(), side.pin_memory()
        self.h_policy = torch.empty(batch, n * n).pin_memory()
        self.h_value = torch.empty(batch).pin_memory()
        self.d_packed = torch.empty_like(packed, device="cuda")
        self.d_side = torch.empty_like(side, device="cuda")
        self.shifts = torch.arange(8, dtype=torch.uint8, device="cuda")
        self.net = net
        self.stream = torch.cuda.Stream()
        self.graph = None
        if graph:
            with torch.cuda.stream(self.stream):
                for _ in range(3):
                    self.device_part()
            self.stream.synchronize()
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph, stream=self.stream):
                self.device_part()

    def device_part(self):
        cells = self.n * self.n
        bits = (self.d_packed.unsqueeze(-1) >> self.shifts) & 1
        stones = bits.view(self.batch, 2, -1)[:, :, :cells].float()
        side = self.d_side.float().view(-1, 1).expand(-1, cells)
        x = torch.cat([stones, side.unsqueeze(1)], 1).view(self.batch, 3, self.n, self.n)
        if self.half:
            x = x.half().contiguous(memory_format=torch.channels_last)
        logits, value = self.net(x)
        legal = (stones.sum(1) == 0)
        logits = logits.float().masked_fill(~legal, float("-inf"))
        self.d_policy = torch.softmax(logits, dim=1)
        self.d_value = value.float().view(-1)

    def run(self):
        with torch.cuda.stream(self.stream):
            self.d_packed.copy_(self.h_packed, non_blocking=True)
            self.d_side.copy_(self.h_side, non_blocking=True)
            if self.graph is not None:
                self.graph.replay()
            else:
                self.device_part()
            self.h_policy.copy_(self.d_policy, non_blocking=True)
            self.h_value.copy_(self.d_value, non_blocking=True)
        self.stream.synchronize()


def measure(e2e, seconds, repeats):
    for _ in range(3):
        e2e.run()
    rates = []
    for _ in range(repeats):
        count, start = 0, time.perf_counter()
        while True:
            e2e.run()
            count += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        rates.append((count * e2e.batch / elapsed, elapsed / count))
    rates.sort()
    return rates[len(rates) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model")
    ap.add_argument("--make-model")
    ap.add_argument("--batch", default="1,64,256,4096,16384")
    ap.add_argument("--modes", default="fp32-eager,fp16-nhwc-graph")
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if args.make_model:
        make_model(args.make_model)
        if not args.model:
            return
    from safetensors.torch import load_file
    sd = load_file(args.model)
    base = network_torch.network_from_state_dict(sd)  # strict: every key, every shape
    n = base.board_size
    base.eval().cuda()
    gen = torch.Generator().manual_seed(1)
    device = torch.cuda.get_device_name(0)
    torch.backends.cudnn.benchmark = True
    for mode in args.modes.split(","):
        half = mode.startswith("fp16")
        tf32 = "tf32" in mode
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32
        net = base
        if half:
            net = network_torch.network_from_state_dict(sd).eval().cuda().half().to(memory_format=torch.channels_last)
        for batch in [int(b) for b in args.batch.split(",")]:
            with torch.no_grad():
                e2e = EndToEnd(net, n, batch, half, mode.endswith("graph"), gen)
                rate, latency = measure(e2e, args.seconds, args.repeats)
            print(json.dumps({"engine": "pytorch " + torch.__version__, "mode": mode, "device": device,
                              "batch": batch, "boards_per_s": round(rate, 1), "batch_latency_us": round(latency * 1e6, 1),
                              "tf32": tf32, "cudnn_benchmark": True}),
                  flush=True)
            del e2e
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
