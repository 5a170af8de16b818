"""Writes linear.pt next to this script: oneDNN's linear (`mkldnn::_linear_pointwise`) as a TorchScript module.

On the CPU, torch's own `linear` calls its BLAS, MKL's sgemm; on this project's AMD EPYC hosts oneDNN's kernels (in
every libtorch CPU build) made the engine's float32 prefill 1.5-2.0x as fast on the same weights
(docs/PERFORMANCE.md). DJL 0.35.1 binds no oneDNN operator, so the engine reaches it through this module. The weight
is passed as it is: oneDNN's `_reorder_linear_weight` would pack it into a blocked layout (faster still at a few
rows), but in DJL's libtorch 2.7.1 a packed weight gave wrong results for shapes whose preferred layout depends on
the number of rows (e.g. [96, 48] at 10 rows), and no row count is known in advance.

The method is TorchScript source because `_linear_pointwise` takes a `Scalar?[]` that neither scripting from Python
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


if __name__ == "__main__":
    path = Path(__file__).with_name("linear.pt")
    OneDnnLinear().save(str(path))
    module = torch.jit.load(str(path))
    weight, bias, x = torch.randn(96, 48), torch.randn(96), torch.randn(2, 10, 48).transpose(0, 1)
    assert torch.allclose(module(x, weight, bias), torch.nn.functional.linear(x, weight, bias), atol=1e-5)
    assert torch.allclose(module(x, weight, torch.zeros(96)), torch.nn.functional.linear(x, weight), atol=1e-5)
