package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** The activations LLaVA uses, written out (or named: torch's exact GELU) so that their exact form is visible. */
public final class Activations {

    private Activations() {}

    /** CLIP's {@code x·σ(1.702x)}. */
    public static NDArray quickGelu(NDArray x) {
        return Activation.sigmoid(x.mul(1.702f)).muli(x); // in place on the fresh σ: one tensor fewer
    }

    /** Exact (erf) GELU, the projector's activation: {@code 0.5·x·(1 + erf(x/√2))}, one PyTorch kernel. */
    public static NDArray gelu(NDArray x) {
        return Activation.gelu(x);
    }

    /** SiLU {@code x·σ(x)}. */
    public static NDArray silu(NDArray x) {
        return Activation.sigmoid(x).muli(x);
    }

    /** Llama's gated MLP activation {@code silu(gate)·up}, in place on the one fresh tensor. */
    public static NDArray siluGated(NDArray gate, NDArray up) {
        return silu(gate).muli(up);
    }
}
