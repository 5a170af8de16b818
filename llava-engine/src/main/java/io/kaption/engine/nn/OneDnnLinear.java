package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * oneDNN's float32 linear, reached through a TorchScript module ({@code linear.pt}, made by {@code make_linear.py}
 * beside it) because DJL 0.35.1 binds no oneDNN operator. On this project's AMD hosts it made the engine's float32
 * prefill 1.5–2.0× as fast as torch's own {@code linear} (MKL's sgemm) on the same weights (docs/PERFORMANCE.md).
 * CPU only.
 */
public final class OneDnnLinear {

    private static final Logger LOG = LoggerFactory.getLogger(OneDnnLinear.class);

    /** Rows of the probes a packed weight must reproduce: a decode step's and a prefill's kind of product. */
    private static final int[] PROBE_ROWS = {1, 21};

    private final TorchScriptModule module;

    private OneDnnLinear(TorchScriptModule module) {
        this.module = module;
    }

    /**
     * Loads the module into {@code manager} when it computes on the CPU and its libtorch was built with oneDNN (every
     * official CPU build is); otherwise null, and linears use torch's own GEMM.
     */
    static OneDnnLinear loadForCpu(NDManager manager) {
        if (manager.getDevice().isGpu()) {
            return null;
        }
        try {
            return new OneDnnLinear(TorchScriptModule.load("linear.pt", manager));
        } catch (RuntimeException e) { // a libtorch without oneDNN lacks the mkldnn operator the module calls
            LOG.warn("oneDNN linear unavailable in this libtorch, using torch's own GEMM: {}", e.getMessage());
            return null;
        }
    }

    /**
     * {@code weight} in oneDNN's blocked layout, which made decode 1.3–1.5× as fast at batch 4 and 1.8–2.1× at
     * batch 16, prefill no slower (docs/PERFORMANCE.md); or {@code weight} itself where the packed weight does not
     * reproduce the plain product on probe inputs: DJL's libtorch 2.7.1 mis-packs some shapes, whatever the rows.
     * The packed weight replaces the plain one, which is closed; it serves {@link #apply} only.
     */
    NDArray pack(NDArray weight, NDArray bias) {
        NDArray packed = module.run("pack", weight);
        if (reproduces(packed, weight, bias)) {
            weight.close();
            return packed;
        }
        packed.close();
        LOG.debug("kept a plain {} weight: its oneDNN packing does not reproduce the product", weight.getShape());
        return weight;
    }

    private boolean reproduces(NDArray packed, NDArray weight, NDArray bias) {
        try (NDManager scope = weight.getManager().newSubManager()) {
            long in = weight.getShape().get(1);
            for (int rows : PROBE_ROWS) {
                NDArray probe = scope.arange(0f, (float) rows * in).reshape(new Shape(rows, in)).sin();
                NDArray expected = apply(probe, weight, bias);
                float tolerance = 1e-4f * (1 + expected.abs().max().getFloat());
                if (apply(probe, packed, bias).sub(expected).abs().max().getFloat() > tolerance) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * {@code x·Wᵀ + b}, all float32: {@code x [..., in]}, {@code weight [out, in]} (plain or {@link #pack packed}),
     * {@code bias [out]} (zeros for a linear without bias). Runs outside inference mode: the decoder adds residuals
     * in place into its result.
     */
    NDArray apply(NDArray x, NDArray weight, NDArray bias) {
        return module.forwardOutsideInferenceMode(x, weight, bias);
    }
}
