package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * {@code y = x·Wᵀ + b} with {@code W} stored {@code [out, in]} as in the checkpoint; {@code bias} may be null. Float32
 * products on the CPU run on oneDNN ({@link OneDnnLinear}) where the loader provides it.
 */
public final class Linear {

    /**
     * Above this many input rows a float16 product on the CPU runs in float32: PyTorch's CPU float16 GEMM (no
     * AVX-512 FP16 on these hosts) is memory-bound and profits from the halved weight bytes only for a few rows
     * (decode at batch 1 and 4 ran 1.4–1.9× faster than float32); at 16 rows it was 0.6× float32, and several
     * times slower on prefill-sized products (docs/PERFORMANCE.md).
     */
    private static final long CPU_HALF_MAX_ROWS = 8;

    private final NDArray weight;
    private final NDArray bias;
    /** Null: torch's own GEMM. */
    private final OneDnnLinear oneDnn;
    /** The bias oneDNN gets for a float32 weight: {@link #bias}, or zeros (its one signature takes a bias). */
    private final NDArray oneDnnBias;
    /**
     * Float32 copies of a float16 weight and bias on the CPU (a zero bias for oneDNN where there is none), made on
     * the first product over {@link #CPU_HALF_MAX_ROWS} rows and kept: converting every weight on every such product
     * cost more than the product. A float16 model on the CPU that serves large batches therefore holds 1.5× the
     * float32 weight bytes.
     */
    private volatile NDArray[] float32Copies;

    /** With torch's own GEMM. */
    public Linear(NDArray weight, NDArray bias) {
        this(weight, bias, null);
    }

    /** With {@code oneDnn} for float32 products (null: torch's own GEMM). */
    Linear(NDArray weight, NDArray bias, OneDnnLinear oneDnn) {
        this.weight = weight;
        this.bias = bias;
        this.oneDnn = oneDnn;
        this.oneDnnBias = oneDnn == null || weight.getDataType() != DataType.FLOAT32 ? null
                : bias != null ? bias : zeroBias(weight);
    }

    public NDArray apply(NDArray x) {
        if (oneDnnBias != null) {
            return oneDnn.apply(x, weight, oneDnnBias);
        }
        if (x.getDataType() == DataType.FLOAT16 && !x.getDevice().isGpu() && rows(x) > CPU_HALF_MAX_ROWS) {
            NDArray[] copies = float32Copies();
            NDArray x32 = x.toType(DataType.FLOAT32, false);
            NDArray y = oneDnn != null ? oneDnn.apply(x32, copies[0], copies[1])
                    : x32.getNDArrayInternal().linear(x32, copies[0], copies[1]).singletonOrThrow();
            return y.toType(DataType.FLOAT16, false);
        }
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    private NDArray[] float32Copies() {
        NDArray[] copies = float32Copies;
        if (copies == null) { // the same copies if two threads race here; the loser's are freed with the model
            NDArray weight32 = weight.toType(DataType.FLOAT32, false);
            NDArray bias32 = bias != null ? bias.toType(DataType.FLOAT32, false)
                    : oneDnn != null ? zeroBias(weight32) : null;
            copies = new NDArray[] {weight32, bias32};
            float32Copies = copies;
        }
        return copies;
    }

    private static NDArray zeroBias(NDArray float32Weight) {
        return float32Weight.getManager().zeros(new Shape(float32Weight.getShape().get(0)), DataType.FLOAT32);
    }

    private static long rows(NDArray x) {
        return x.getShape().size() / x.getShape().get(x.getShape().dimension() - 1);
    }
}
