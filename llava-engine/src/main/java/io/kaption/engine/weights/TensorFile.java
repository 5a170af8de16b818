package io.kaption.engine.weights;

import java.util.Set;

/** One weights file of a checkpoint: a {@link SafetensorsFile} or a {@link TorchCheckpointFile}. */
public interface TensorFile extends AutoCloseable {

    Set<String> names();

    long[] shape(String name);

    /** The stored element type, e.g. "BF16" (safetensors' names; PyTorch's, e.g. "torch.int64", for the others). */
    String storedType(String name);

    /** The tensor decoded to float32 on the heap. */
    Tensor load(String name);

    @Override
    void close();
}
