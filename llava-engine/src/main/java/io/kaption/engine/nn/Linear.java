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
     * AVX-512 FP16 on these hosts) costs time in proportion to the rows: in a throwaway timing of the decoder's shapes
     * (not a benchmark figure) it took 0.5–0.7× oneDNN's time over a packed float32 weight at one row, 0.9–1.4× at
     * two and 1.4–1.8× at three; batch-1 decode in float16 ran 1.8× float32's in `bench side-by-side`
     * (docs/PERFORMANCE.md).
     */
    private static final long CPU_HALF_MAX_ROWS = 1;

    /** As given; for a float32 weight on oneDNN, {@link #float32Weight}. */
    private final NDArray weight;
    private final NDArray bias;
    /** Null: torch's own GEMM. */
    private final OneDnnLinear oneDnn;
    /** True for a float16 weight on the CPU: single-row products multiply it as it is. */
    private final boolean halfWeightOnCpu;
    /**
     * What float32 products on the CPU multiply, made once at load: the (packed) float32 weight, or for a float16 one
     * a packed float32 copy (converting the weight on every product cost more than the product; a float16 model on
     * the CPU therefore holds 1.5× the float32 weight bytes). Null where products use {@link #weight} as it is.
     */
    private final NDArray float32Weight;
    /** The bias of float32 products: {@link #bias} in float32, or zeros for oneDNN (its one signature takes a bias). */
    private final NDArray float32Bias;

    /** With torch's own GEMM. */
    public Linear(NDArray weight, NDArray bias) {
        this(weight, bias, null);
    }

    /**
     * With {@code oneDnn} for float32 products on the CPU (null: torch's own GEMM), which may replace a float32
     * {@code weight} by its packed form and close it ({@link OneDnnLinear#pack}).
     */
    Linear(NDArray weight, NDArray bias, OneDnnLinear oneDnn) {
        this.oneDnn = oneDnn;
        this.halfWeightOnCpu = weight.getDataType() == DataType.FLOAT16 && !weight.getDevice().isGpu();
        NDArray weight32 = halfWeightOnCpu ? weight.toType(DataType.FLOAT32, false)
                : oneDnn != null ? weight : null;
        if (weight32 == null) {
            this.float32Bias = null;
            this.float32Weight = null;
        } else {
            NDArray bias32 = bias == null ? null : bias.toType(DataType.FLOAT32, false);
            this.float32Bias = bias32 == null && oneDnn != null ? zeroBias(weight32) : bias32;
            this.float32Weight = oneDnn != null ? oneDnn.pack(weight32, float32Bias) : weight32;
        }
        this.weight = halfWeightOnCpu || float32Weight == null ? weight : float32Weight;
        this.bias = bias;
    }

    /** {@code x} in the weight's dtype, or in float32 for a float16 weight on the CPU; the result has x's dtype. */
    public NDArray apply(NDArray x) {
        if (halfWeightOnCpu && rows(x) <= CPU_HALF_MAX_ROWS) {
            return linear(x.toType(DataType.FLOAT16, false), weight, bias).toType(x.getDataType(), false);
        }
        if (float32Weight == null) {
            return linear(x, weight, bias);
        }
        NDArray x32 = x.toType(DataType.FLOAT32, false);
        NDArray y = oneDnn != null ? oneDnn.apply(x32, float32Weight, float32Bias)
                : linear(x32, float32Weight, float32Bias);
        return y.toType(x.getDataType(), false);
    }

    private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    private static NDArray zeroBias(NDArray float32Weight) {
        return float32Weight.getManager().zeros(new Shape(float32Weight.getShape().get(0)), DataType.FLOAT32);
    }

    private static long rows(NDArray x) {
        return x.getShape().size() / x.getShape().get(x.getShape().dimension() - 1);
    }
}
