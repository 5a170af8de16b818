package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
     * {@code x·Wᵀ + b}, all float32: {@code x [..., in]}, {@code weight [out, in]}, {@code bias [out]} (zeros for
     * a linear without bias). Runs outside inference mode: the decoder adds residuals in place into its result.
     */
    NDArray apply(NDArray x, NDArray weight, NDArray bias) {
        return module.forwardOutsideInferenceMode(x, weight, bias);
    }
}
