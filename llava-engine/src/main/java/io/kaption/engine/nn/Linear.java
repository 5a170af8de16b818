package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** {@code y = x·Wᵀ + b} with {@code W} stored {@code [out, in]} as in the checkpoint; {@code bias} may be null. */
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
    /**
     * Float32 copies of a float16 weight and bias on the CPU, made on the first product over {@link
     * #CPU_HALF_MAX_ROWS} rows and kept: converting every weight on every such product cost more than the product.
     * A float16 model on the CPU that serves large batches therefore holds 1.5× the float32 weight bytes.
     */
    private volatile NDArray[] float32Copies;

    public Linear(NDArray weight, NDArray bias) {
        this.weight = weight;
        this.bias = bias;
    }

    public NDArray weight() {
        return weight;
    }

    public NDArray bias() {
        return bias;
    }

    public NDArray apply(NDArray x) {
        if (x.getDataType() == DataType.FLOAT16 && !x.getDevice().isGpu() && rows(x) > CPU_HALF_MAX_ROWS) {
            NDArray[] copies = float32Copies();
            NDArray x32 = x.toType(DataType.FLOAT32, false);
            return x32.getNDArrayInternal().linear(x32, copies[0], copies[1]).singletonOrThrow()
                    .toType(DataType.FLOAT16, false);
        }
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    private NDArray[] float32Copies() {
        NDArray[] copies = float32Copies;
        if (copies == null) { // the same copies if two threads race here; the loser's are freed with the model
            copies = new NDArray[] {weight.toType(DataType.FLOAT32, false),
                    bias == null ? null : bias.toType(DataType.FLOAT32, false)};
            float32Copies = copies;
        }
        return copies;
    }

    private static long rows(NDArray x) {
        return x.getShape().size() / x.getShape().get(x.getShape().dimension() - 1);
    }
}
