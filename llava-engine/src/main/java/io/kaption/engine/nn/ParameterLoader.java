package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.kaption.engine.weights.DjlTensors;
import io.kaption.engine.weights.Tensor;
import java.util.List;
import java.util.function.Function;

/** Builds layers from checkpoint tensors, cast once to the compute dtype and owned by one manager. */
public final class ParameterLoader {

    private final Function<String, Tensor> tensors;
    private final NDManager manager;
    private final DataType computeType;
    /** Null on a GPU (or a libtorch without oneDNN): linears use torch's own GEMM. */
    private final OneDnnLinear oneDnn;

    public ParameterLoader(Function<String, Tensor> tensors, NDManager manager, DataType computeType) {
        DjlTensors.requireSupported(computeType);
        this.tensors = tensors;
        this.manager = manager;
        this.computeType = computeType;
        this.oneDnn = OneDnnLinear.loadForCpu(manager);
    }

    public DataType computeType() {
        return computeType;
    }

    public Tensor tensor(String name) {
        return tensors.apply(name);
    }

    public NDArray array(String name) {
        return DjlTensors.toNDArray(manager, tensors.apply(name), computeType);
    }

    public NDArray array(Tensor tensor) {
        return DjlTensors.toNDArray(manager, tensor, computeType);
    }

    public Linear linear(String prefix, boolean bias) {
        return new Linear(array(prefix + ".weight"), bias ? array(prefix + ".bias") : null, oneDnn);
    }

    /** A linear without bias over {@code weight [out, in]}. */
    public Linear linear(Tensor weight) {
        return new Linear(array(weight), null, oneDnn);
    }

    /**
     * Several linears over the same input fused into one (their weights stacked along the output axis), so one
     * GEMM replaces several.
     */
    public Linear fusedLinear(List<String> prefixes, boolean bias) {
        return new Linear(concatRows(prefixes, ".weight"), bias ? concatRows(prefixes, ".bias") : null, oneDnn);
    }

    public LayerNorm layerNorm(String prefix, double eps) {
        return new LayerNorm(array(prefix + ".weight"), array(prefix + ".bias"), (float) eps);
    }

    public RmsNorm rmsNorm(String prefix, double eps) {
        return new RmsNorm(array(prefix + ".weight"), (float) eps);
    }

    private NDArray concatRows(List<String> prefixes, String suffix) {
        Tensor[] parts = prefixes.stream().map(p -> tensors.apply(p + suffix)).toArray(Tensor[]::new);
        long rows = 0;
        int length = 0;
        for (Tensor part : parts) {
            rows += part.shape()[0];
            length += part.data().length;
        }
        float[] data = new float[length];
        int offset = 0;
        for (Tensor part : parts) {
            System.arraycopy(part.data(), 0, data, offset, part.data().length);
            offset += part.data().length;
        }
        long[] shape = parts[0].shape().clone();
        shape[0] = rows;
        return array(new Tensor(shape, data));
    }
}
