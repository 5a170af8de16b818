package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;

/** {@code y = x·Wᵀ + b} with {@code W} stored {@code [out, in]} as in the checkpoint; {@code bias} may be null. */
public record Linear(NDArray weight, NDArray bias) {

    public NDArray apply(NDArray x) {
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }
}
