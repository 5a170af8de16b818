package io.kaption.engine.vision;

import ai.djl.ndarray.NDArray;
import io.kaption.engine.nn.Activations;
import io.kaption.engine.nn.Linear;
import io.kaption.engine.nn.ParameterLoader;

/** LLaVA's "mlp2x_gelu" projector from CLIP features to the decoder's embedding space. */
public final class MultimodalProjector {

    private final Linear linear1;
    private final Linear linear2;

    public MultimodalProjector(ParameterLoader params) {
        this.linear1 = params.linear("multi_modal_projector.linear_1", true);
        this.linear2 = params.linear("multi_modal_projector.linear_2", true);
    }

    public NDArray apply(NDArray features) {
        return linear2.apply(Activations.gelu(linear1.apply(features)));
    }
}
