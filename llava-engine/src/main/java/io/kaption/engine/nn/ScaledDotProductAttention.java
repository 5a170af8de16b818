package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * PyTorch's fused {@code scaled_dot_product_attention}: {@code softmax(q·kᵀ/√d + mask)·v} without materialising the
 * {@code [batch, heads, L, S]} scores (flash attention on CPU and CUDA), reached through a three-method TorchScript
 * module ({@code attention.pt}, made by {@code make_attention.py} beside it) because DJL 0.35.1 binds no such
 * operator. Inputs are {@code [batch, heads, L, headDim]} (keys and values may have fewer heads: grouped-query
 * attention); the result has the query's shape and belongs to the query's manager. The softmax accumulates in
 * float32 for float16 inputs.
 */
public final class ScaledDotProductAttention {

    private final TorchScriptModule module;

    private ScaledDotProductAttention(TorchScriptModule module) {
        this.module = module;
    }

    /** Loads the module into {@code manager} (freed with it). */
    public static ScaledDotProductAttention load(NDManager manager) {
        return new ScaledDotProductAttention(TorchScriptModule.load("attention.pt", manager));
    }

    /** Every query attends to every key. */
    public NDArray full(NDArray q, NDArray k, NDArray v) {
        return run("forward", q, k, v);
    }

    /** Query {@code i} attends to keys {@code [0, i]} (L = S). */
    public NDArray causal(NDArray q, NDArray k, NDArray v) {
        return run("causal", q, k, v);
    }

    /** {@code mask}: boolean, true where a query may attend to a key, broadcastable to {@code [B, heads, L, S]}. */
    public NDArray masked(NDArray q, NDArray k, NDArray v, NDArray mask) {
        return run("masked", q, k, v, mask);
    }

    private NDArray run(String method, NDArray... inputs) {
        return module.run(method, inputs);
    }
}
