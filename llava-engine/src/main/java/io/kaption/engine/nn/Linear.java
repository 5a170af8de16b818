package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * {@code y = x·Wᵀ + b} with {@code W} stored {@code [out, in]} as in the checkpoint; {@code bias} may be null. Float32
 * products on the CPU run on oneDNN ({@link OneDnnLinear}), over weights in its packed layout, where the loader
 * provides it.
 */
public final class Linear {

    /**
     * Up to this many input rows a float16 weight on the CPU is multiplied as it is (the input narrowed to float16
     * and the result widened back); above it, through a float32 copy on oneDNN. PyTorch's CPU float16 GEMM (no
     * AVX-512 FP16 on these hosts) costs time in proportion to the rows: with the decoder's shapes it took 0.5–0.7×
     * oneDNN's time over a packed float32 weight at one row, 0.9–1.4× at two and 1.4–1.8× at three
     * (docs/PERFORMANCE.md).
     */
    private static final long CPU_HALF_MAX_ROWS = 1;

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

    /**
     * With {@code oneDnn} for float32 products (null: torch's own GEMM), which may replace a float32 {@code weight}
     * by its packed form and close it ({@link OneDnnLinear#pack}).
     */
    Linear(NDArray weight, NDArray bias, OneDnnLinear oneDnn) {
        boolean onOneDnn = oneDnn != null && weight.getDataType() == DataType.FLOAT32;
        this.bias = bias;
        this.oneDnn = oneDnn;
        this.oneDnnBias = onOneDnn ? bias != null ? bias : zeroBias(weight) : null;
        this.weight = onOneDnn ? oneDnn.pack(weight, oneDnnBias) : weight;
    }

    /** {@code x} in the weight's dtype, or in float32 for a float16 weight on the CPU; the result has x's dtype. */
    public NDArray apply(NDArray x) {
        if (oneDnnBias != null) {
            return oneDnn.apply(x, weight, oneDnnBias);
        }
        if (weight.getDataType() == DataType.FLOAT16 && !weight.getDevice().isGpu()) {
            return applyHalfWeightOnCpu(x);
        }
        return linear(x, weight, bias);
    }

    private NDArray applyHalfWeightOnCpu(NDArray x) {
        NDArray y;
        if (rows(x) <= CPU_HALF_MAX_ROWS) {
            y = linear(x.toType(DataType.FLOAT16, false), weight, bias);
        } else {
            NDArray[] copies = float32Copies();
            NDArray x32 = x.toType(DataType.FLOAT32, false);
            y = oneDnn != null ? oneDnn.apply(x32, copies[0], copies[1]) : linear(x32, copies[0], copies[1]);
        }
        return y.toType(x.getDataType(), false);
    }

    private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    private NDArray[] float32Copies() {
        NDArray[] copies = float32Copies;
        if (copies == null) { // the same copies if two threads race here; the loser's are freed with the model
            NDArray weight32 = weight.toType(DataType.FLOAT32, false);
            NDArray bias32 = bias != null ? bias.toType(DataType.FLOAT32, false)
                    : oneDnn != null ? zeroBias(weight32) : null;
            copies = new NDArray[] {oneDnn != null ? oneDnn.pack(weight32, bias32) : weight32, bias32};
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
