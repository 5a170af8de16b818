package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.BiFunction;

/**
 * Runs one layer in a child scope that is closed when the layer is done, so its intermediates (projections,
 * activations, attention outputs) are freed at once instead of when the whole forward pass's scope closes. Without
 * it a batch-16 prefill kept every layer's activations alive (gigabytes), and every new tensor landed on fresh pages
 * the kernel had to fault in, instead of memory the allocator had just freed (docs/PERFORMANCE.md).
 */
public final class LayerScope {

    private LayerScope() {}

    /**
     * @param outer where the layer's output is kept
     * @param input the layer's input; the layer's operations put their results in the child scope (an operation's
     *              result belongs to its first operand's manager), and the input returns to its own manager after
     * @param layer computes the output from the input and the child scope (for arrays it creates itself)
     */
    public static NDArray run(NDManager outer, NDArray input, BiFunction<NDArray, NDManager, NDArray> layer) {
        try (NDManager scope = outer.newSubManager()) {
            input.tempAttach(scope);
            NDArray output = layer.apply(input, scope);
            output.attach(outer);
            return output;
        }
    }
}
