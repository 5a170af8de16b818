package io.kaption.engine.weights;

import java.util.Arrays;

/**
 * A checkpoint tensor decoded to float32 on the Java heap, whatever its stored dtype. Keeping every tensor in
 * float32 here is what keeps BF16 away from DJL (see {@link DjlTensors}).
 *
 * @param shape C-order shape
 * @param data  values in C order
 */
public record Tensor(long[] shape, float[] data) {

    public Tensor {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got "
                    + data.length);
        }
    }

    public int dim(int axis) {
        return (int) shape[axis < 0 ? shape.length + axis : axis];
    }
}
