"""Writes linear.pt next to this script: oneDNN's linear (`mkldnn::_linear_pointwise`) as a TorchScript module.

On the CPU, torch's own `linear` calls its BLAS, MKL's sgemm; on this project's AMD EPYC hosts oneDNN's kernels (in
every libtorch CPU build) made the engine's float32 prefill 1.5-2.0x as fast on the same weights
(docs/PERFORMANCE.md). DJL 0.35.1 binds no oneDNN operator, so the engine reaches it through this module.

`pack` is oneDNN's `_reorder_linear_weight`: the weight in oneDNN's blocked layout, which made the engine's decode
1.3-1.5x as fast at batch 4 and 1.8-2.1x at batch 16, prefill no slower (docs/PERFORMANCE.md). The layout is chosen
for 16 rows and serves any number. In DJL's libtorch 2.7.1 some packed shapes give wrong products at every row count
(e.g. 40, 48 or 72 outputs at this hint; others at other hints), so the engine checks each packed weight against the
plain one before it keeps it.

`forward` is TorchScript source because `_linear_pointwise` takes a `Scalar?[]` that neither scripting from Python
annotations nor tracing can express; it always takes a bias because the engine runs `forward` outside inference
mode, which DJL offers for `forward` only (no second method for a linear without bias: it passes zeros). The archive
is a zip; its code/__torch__.py is the readable source of what runs.
Written with torch 2.13.0 (`python make_linear.py`); archive format 3, loaded by DJL's libtorch 2.7.1.
"""
from pathlib import Path

import torch

FORWARD = '''
def forward(self, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    no_post_op_scalars: List[Optional[number]] = []
    return torch.ops.mkldnn._linear_pointwise(x.contiguous(), weight, bias, "none", no_post_op_scalars, "")
'''


class OneDnnLinear(torch.jit.ScriptModule):
    def __init__(self):
        super().__init__()
        self.define(FORWARD)

    @torch.jit.script_method
    def pack(self, weight: torch.Tensor) -> torch.Tensor:
        return torch.ops.mkldnn._reorder_linear_weight(weight, 16)


if __name__ == "__main__":
    path = Path(__file__).with_name("linear.pt")
    OneDnnLinear().save(str(path))
    module = torch.jit.load(str(path))
    weight, bias, x = torch.randn(96, 48), torch.randn(96), torch.randn(2, 10, 48).transpose(0, 1)
    assert torch.allclose(module(x, weight, bias), torch.nn.functional.linear(x, weight, bias), atol=1e-5)
    assert torch.allclose(module(x, weight, torch.zeros(96)), torch.nn.functional.linear(x, weight), atol=1e-5)
    assert torch.allclose(module(x, module.pack(weight), bias), torch.nn.functional.linear(x, weight, bias), atol=1e-5)
