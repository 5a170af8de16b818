package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** LayerNorm over the last axis. */
public record LayerNorm(NDArray weight, NDArray bias, float eps) {

    public NDArray apply(NDArray x) {
        return x.getNDArrayInternal().layerNorm(x, new Shape(weight.getShape().get(0)), weight, bias, eps)
                .singletonOrThrow();
    }
}
