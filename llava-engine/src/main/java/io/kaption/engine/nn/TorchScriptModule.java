package io.kaption.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * A TorchScript module shipped in the jar and run method by method: how the engine reaches PyTorch operators that
 * DJL 0.35.1 does not bind (fused attention, oneDNN's linear). Each module is written by a {@code make_*.py} beside
 * its resource.
 */
final class TorchScriptModule {

    /**
     * TorchScript's profiling graph executor would profile and re-specialise the graph for every new input shape;
     * for a single operator that is pure overhead. The switch is per thread in libtorch.
     */
    private static final ThreadLocal<Boolean> PLAIN_EXECUTOR = ThreadLocal.withInitial(() -> {
        JniUtils.setGraphExecutorOptimize(false);
        return true;
    });

    private final PtSymbolBlock module;

    private TorchScriptModule(PtSymbolBlock module) {
        this.module = module;
    }

    /** Loads the resource next to this class into {@code manager} (freed with it). */
    static TorchScriptModule load(String resource, NDManager manager) {
        try (InputStream in = TorchScriptModule.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " is missing from the jar");
            }
            return new TorchScriptModule(JniUtils.loadModule((PtNDManager) manager, in, false, false));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@code method} in inference mode (DJL's only way for a named method); the result belongs to the first
     * input's manager, as a DJL operation's would, but is an inference tensor: updating it in place outside
     * inference mode, as the engine's own operations run, fails.
     */
    NDArray run(String method, NDArray... inputs) {
        PLAIN_EXECUTOR.get();
        IValue[] values = new IValue[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            values[i] = IValue.from((PtNDArray) inputs[i]);
        }
        IValue result = null;
        try {
            result = IValueUtils.runMethod(module, method, values);
            return result.toTensor((PtNDManager) inputs[0].getManager());
        } finally {
            for (IValue value : values) {
                value.close();
            }
            if (result != null) {
                result.close();
            }
        }
    }

    /**
     * Runs {@code forward} outside inference mode, like DJL's own operations, so the result may be updated in place.
     * No input requires a gradient, so autograd records nothing. DJL routes this call's inputs by their names (a
     * name with a dot or brackets makes a list, tuple or map); the engine's arrays have none.
     */
    NDArray forwardOutsideInferenceMode(NDArray... inputs) {
        PLAIN_EXECUTOR.get();
        return IValueUtils.forward(module, new NDList(inputs), true).singletonOrThrow();
    }
}
