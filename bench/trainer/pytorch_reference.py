#!/usr/bin/env python3
"""PyTorch reference for the tandem-trainer GPU throughput (MFU) comparison.

Same LLaMA-style model as native/trainer (RMSNorm, GQA attention with
rotate-half RoPE, SwiGLU, untied LM head), bf16 autocast with fp32 master
weights, fused AdamW, one GPU. Prints tokens/s and MFU computed with the
same FLOPs-per-token formula as LlamaModel::flopsPerToken, so the numbers sit
beside `bench_trainer --cuda`.

    python3 bench/trainer/pytorch_reference.py --hidden 1024 --layers 8 --heads 16 \
        --kv-heads 4 --ffn 2816 --seq 1024 --batch 8 --steps 20 --peak-tflops 989

Needs torch (not installed on the development machine; run it on the GPU box).
"""
import argparse
import math
import time

import torch
import torch.nn.functional as F
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x) * self.weight


def rope_tables(seq: int, head_dim: int, theta: float, device):
    inv = theta ** (-torch.arange(0, head_dim, 2, dtype=torch.float64, device=device) / head_dim)
    angles = torch.outer(torch.arange(seq, dtype=torch.float64, device=device), inv)
    return angles.cos().float(), angles.sin().float()


def apply_rope(x, cos, sin):  # x: [B, H, T, hd]
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    c, s = cos[: x.shape[2]], sin[: x.shape[2]]
    return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], dim=-1).type_as(x)


class Block(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.heads, self.kv_heads, self.hd = a.heads, a.kv_heads, a.hidden // a.heads
        self.attn_norm = RMSNorm(a.hidden, 1e-5)
        self.q = nn.Linear(a.hidden, a.heads * self.hd, bias=False)
        self.k = nn.Linear(a.hidden, a.kv_heads * self.hd, bias=False)
        self.v = nn.Linear(a.hidden, a.kv_heads * self.hd, bias=False)
        self.o = nn.Linear(a.heads * self.hd, a.hidden, bias=False)
        self.mlp_norm = RMSNorm(a.hidden, 1e-5)
        self.gate = nn.Linear(a.hidden, a.ffn, bias=False)
        self.up = nn.Linear(a.hidden, a.ffn, bias=False)
        self.down = nn.Linear(a.ffn, a.hidden, bias=False)

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        n = self.attn_norm(x)
        q = self.q(n).view(B, T, self.heads, self.hd).transpose(1, 2)
        k = self.k(n).view(B, T, self.kv_heads, self.hd).transpose(1, 2)
        v = self.v(n).view(B, T, self.kv_heads, self.hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        rep = self.heads // self.kv_heads
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o(y.transpose(1, 2).reshape(B, T, -1))
        m = self.mlp_norm(x)
        return x + self.down(F.silu(self.gate(m)) * self.up(m))


class Model(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.embed = nn.Embedding(a.vocab, a.hidden)
        self.blocks = nn.ModuleList(Block(a) for _ in range(a.layers))
        self.norm = RMSNorm(a.hidden, 1e-5)
        self.head = nn.Linear(a.hidden, a.vocab, bias=False)
        cos, sin = rope_tables(a.seq, a.hidden // a.heads, 10000.0, "cpu")
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, tokens, targets):
        x = self.embed(tokens)
        for b in self.blocks:
            x = b(x, self.cos, self.sin)
        logits = self.head(self.norm(x))
        return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), targets.view(-1))


def flops_per_token(model: Model, a) -> float:
    # Mirrors LlamaModel::flopsPerToken: 6 x matmul params + attention.
    matmul = sum(p.numel() for n, p in model.named_parameters() if p.dim() == 2 and not n.startswith("embed"))
    return 6.0 * matmul + 3.0 * a.layers * 2.0 * a.seq * a.hidden


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vocab", type=int, default=258)
    p.add_argument("--hidden", type=int, default=1024)
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--heads", type=int, default=16)
    p.add_argument("--kv-heads", type=int, default=4)
    p.add_argument("--ffn", type=int, default=2816)
    p.add_argument("--seq", type=int, default=1024)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--peak-tflops", type=float, default=989.0, help="dense bf16 peak of the GPU (H100/H200 SXM: 989)")
    p.add_argument("--compile", action="store_true")
    a = p.parse_args()

    torch.manual_seed(0)
    device = "cuda"
    model = Model(a).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1.17e-4, betas=(0.9, 0.95), weight_decay=0.1, fused=True)
    step_fn = torch.compile(model) if a.compile else model
    tokens = torch.randint(0, 256, (a.batch, a.seq), device=device)
    targets = torch.randint(0, 256, (a.batch, a.seq), device=device)

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = step_fn(tokens, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    for _ in range(3):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    tps = a.batch * a.seq * a.steps / seconds
    tflops = tps * flops_per_token(model, a) / 1e12
    params = sum(p.numel() for p in model.parameters())
    print(f"pytorch reference: {params} params, {tps:.0f} tokens/s, {tflops:.1f} TFLOP/s, "
          f"MFU {100 * tflops / a.peak_tflops:.1f}% (peak {a.peak_tflops} TFLOP/s), final loss {loss.item():.3f}")
    assert math.isfinite(loss.item())


if __name__ == "__main__":
    main()
