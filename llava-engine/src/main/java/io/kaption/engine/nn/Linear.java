package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** {@code y = x·Wᵀ + b} with {@code W} stored {@code [out, in]} as in the checkpoint; {@code bias} may be null. */
public record Linear(NDArray weight, NDArray bias) {

    /**
     * Above this many input rows a float16 product on the CPU runs in float32: PyTorch's CPU float16 GEMM is
     * several times slower than float32 on prefill-sized products, while on the few rows of a decode step it is
     * memory-bound and profits from the halved weight bytes (docs/PERFORMANCE.md).
     */
    private static final long CPU_HALF_MAX_ROWS = 64;

    public NDArray apply(NDArray x) {
        if (x.getDataType() == DataType.FLOAT16 && !x.getDevice().isGpu() && rows(x) > CPU_HALF_MAX_ROWS) {
            NDArray x32 = x.toType(DataType.FLOAT32, false);
            NDArray w32 = weight.toType(DataType.FLOAT32, false);
            NDArray b32 = bias == null ? null : bias.toType(DataType.FLOAT32, false);
            try {
                return x32.getNDArrayInternal().linear(x32, w32, b32).singletonOrThrow()
                        .toType(DataType.FLOAT16, false);
            } finally {
                // the float32 copies of the weights belong to the weights' manager: free them now
                w32.close();
                if (b32 != null) {
                    b32.close();
                }
            }
        }
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    private static long rows(NDArray x) {
        return x.getShape().size() / x.getShape().get(x.getShape().dimension() - 1);
    }
}
