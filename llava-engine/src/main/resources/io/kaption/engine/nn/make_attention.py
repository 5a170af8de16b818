"""Writes attention.pt next to this script: torch's scaled_dot_product_attention as a TorchScript module.

DJL 0.35.1 binds no scaled_dot_product_attention, but it runs TorchScript methods, so this module is how the
engine reaches PyTorch's fused attention kernels (flash attention on CPU and CUDA) without materialising the
[batch, heads, L, S] scores. The archive is a zip; its code/__torch__.py is the readable source of what runs.
Written with torch 2.13.0 (`python make_attention.py`); archive format 3, loaded by DJL's libtorch 2.7.1.
"""
from pathlib import Path

import torch
import torch.nn.functional as F


class Attention(torch.nn.Module):
    """softmax(q·kᵀ/√d + mask)·v; key/value heads may be fewer than query heads (grouped-query attention)."""

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v, enable_gqa=q.size(1) != k.size(1))

    @torch.jit.export
    def causal(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=q.size(1) != k.size(1))

    @torch.jit.export
    def masked(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """mask: bool, true where a query may attend to a key, broadcastable to [batch, heads, L, S]."""
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=q.size(1) != k.size(1))


if __name__ == "__main__":
    torch.jit.script(Attention()).save(str(Path(__file__).with_name("attention.pt")))
