package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** The activations LLaVA uses, written out so that their exact form is visible. */
public final class Activations {

    private static final float INV_SQRT2 = (float) (1.0 / Math.sqrt(2.0));

    private Activations() {}

    /** CLIP's {@code x·σ(1.702x)}. */
    public static NDArray quickGelu(NDArray x) {
        return x.mul(Activation.sigmoid(x.mul(1.702f)));
    }

    /** Exact (erf) GELU, the projector's activation. */
    public static NDArray gelu(NDArray x) {
        return x.mul(0.5f).mul(x.mul(INV_SQRT2).erf().add(1f));
    }

    /** SiLU {@code x·σ(x)}. */
    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }
}
