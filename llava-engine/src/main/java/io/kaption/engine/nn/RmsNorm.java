package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Llama RMSNorm, computed in float32 whatever the compute dtype (as transformers does). */
public record RmsNorm(NDArray weight, float eps) {

    public NDArray apply(NDArray x) {
        DataType computeType = x.getDataType();
        NDArray x32 = computeType == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray inverseRms = x32.square().mean(new int[] {-1}, true).add(eps).pow(-0.5f);
        NDArray normed = x32.mul(inverseRms);
        if (computeType != DataType.FLOAT32) {
            normed = normed.toType(computeType, false);
        }
        return normed.muli(weight);
    }
}
