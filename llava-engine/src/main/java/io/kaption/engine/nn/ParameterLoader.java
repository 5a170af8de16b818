package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.kaption.engine.weights.DjlTensors;
import io.kaption.engine.weights.Tensor;
import java.util.List;
import java.util.function.Function;

/**
 * Builds layers from checkpoint tensors, cast once to their dtype and owned by one manager. A float16 model on the
 * CPU keeps only its linear weights (and biases) in float16 and computes in float32: these CPUs have no float16
 * arithmetic, so float16 activations meant a conversion around every norm, attention and float32 product; its
 * weights still halve the bytes a single-row product reads ({@link Linear}).
 */
public final class ParameterLoader {

    private final Function<String, Tensor> tensors;
    private final NDManager manager;
    /** The dtype of linear weights and biases: the requested one. */
    private final DataType weightType;
    /** The dtype of activations and every other parameter. */
    private final DataType computeType;
    /** Null on a GPU (or a libtorch without oneDNN): linears use torch's own GEMM. */
    private final OneDnnLinear oneDnn;

    public ParameterLoader(Function<String, Tensor> tensors, NDManager manager, DataType computeType) {
        DjlTensors.requireSupported(computeType);
        this.tensors = tensors;
        this.manager = manager;
        this.weightType = computeType;
        this.computeType = computeType == DataType.FLOAT16 && !manager.getDevice().isGpu() ? DataType.FLOAT32
                : computeType;
        this.oneDnn = OneDnnLinear.loadForCpu(manager);
    }

    /** The dtype activations are computed in (float32 for a float16 model on the CPU). */
    public DataType computeType() {
        return computeType;
    }

    public Tensor tensor(String name) {
        return tensors.apply(name);
    }

    public NDArray array(String name) {
        return DjlTensors.toNDArray(manager, tensors.apply(name), computeType);
    }

    public Linear linear(String prefix, boolean bias) {
        return new Linear(weight(tensors.apply(prefix + ".weight")),
                bias ? weight(tensors.apply(prefix + ".bias")) : null, oneDnn);
    }

    /** A linear without bias over {@code weight [out, in]}. */
    public Linear linear(Tensor weight) {
        return new Linear(weight(weight), null, oneDnn);
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
        return weight(new Tensor(shape, data));
    }

    private NDArray weight(Tensor tensor) {
        return DjlTensors.toNDArray(manager, tensor, weightType);
    }
}
