package io.kaption.engine.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The one place where checkpoint tensors become DJL arrays. DJL 0.35.1 with PyTorch 2.7.1 aborts the whole JVM on
 * any BFLOAT16 array, so only float32 and float16 may pass.
 */
public final class DjlTensors {

    private DjlTensors() {}

    public static NDArray toNDArray(NDManager manager, Tensor tensor, DataType computeType) {
        requireSupported(computeType);
        NDArray array = manager.create(tensor.data(), new Shape(tensor.shape()));
        return computeType == DataType.FLOAT32 ? array : castOnce(array, computeType);
    }

    public static void requireSupported(DataType computeType) {
        if (computeType != DataType.FLOAT32 && computeType != DataType.FLOAT16) {
            throw new IllegalArgumentException("compute dtype must be float32 or float16, not " + computeType);
        }
    }

    private static NDArray castOnce(NDArray array, DataType computeType) {
        NDArray cast = array.toType(computeType, false);
        array.close();
        return cast;
    }
}
