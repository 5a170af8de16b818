package io.kaption.engine.weights;

import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Element types of PyTorch storages, by the names a pickled state dict uses for them: the legacy storage classes
 * ({@code torch.FloatStorage}) of {@code _rebuild_tensor_v2} and the dtypes ({@code torch.float16}) of
 * {@code _rebuild_tensor_v3}. Only float32, float16 and bfloat16 can be decoded; the others (e.g. CLIP's int64
 * {@code position_ids} buffer) may be listed in a checkpoint but not loaded.
 */
enum TorchDtype {
    FLOAT32("FloatStorage", 4, StoredType.F32, "float32", "float"),
    FLOAT16("HalfStorage", 2, StoredType.F16, "float16", "half"),
    BFLOAT16("BFloat16Storage", 2, StoredType.BF16, "bfloat16"),
    FLOAT64("DoubleStorage", 8, null, "float64", "double"),
    INT64("LongStorage", 8, null, "int64", "long"),
    INT32("IntStorage", 4, null, "int32", "int"),
    INT16("ShortStorage", 2, null, "int16", "short"),
    INT8("CharStorage", 1, null, "int8"),
    UINT8("ByteStorage", 1, null, "uint8"),
    BOOL("BoolStorage", 1, null, "bool");

    final String storageClass;
    final int bytes;
    /** How the engine decodes it, or null when it cannot. */
    final StoredType decoded;
    private final String[] dtypeNames;

    TorchDtype(String storageClass, int bytes, StoredType decoded, String... dtypeNames) {
        this.storageClass = storageClass;
        this.bytes = bytes;
        this.decoded = decoded;
        this.dtypeNames = dtypeNames;
    }

    private static final Map<String, TorchDtype> BY_STORAGE_CLASS = Stream.of(values())
            .collect(Collectors.toUnmodifiableMap(t -> t.storageClass, Function.identity()));
    private static final Map<String, TorchDtype> BY_DTYPE_NAME = Stream.of(values())
            .flatMap(t -> Stream.of(t.dtypeNames).map(n -> Map.entry(n, t)))
            .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue));

    /** {@code torch.<name>} as a storage class, or null. */
    static TorchDtype ofStorageClass(String name) {
        return BY_STORAGE_CLASS.get(name);
    }

    /** {@code torch.<name>} as a dtype, or null. */
    static TorchDtype ofDtypeName(String name) {
        return BY_DTYPE_NAME.get(name);
    }

    /** The name torch prints, e.g. "torch.int64". */
    String torchName() {
        return "torch." + dtypeNames[0];
    }
}
