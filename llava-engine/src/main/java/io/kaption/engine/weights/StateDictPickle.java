package io.kaption.engine.weights;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code data.pkl} of a PyTorch zip checkpoint: a pickled state dict, i.e. a dict of names to tensors
 * built by {@code torch._utils._rebuild_tensor_v2} over storages named by persistent ids.
 *
 * <p>Unpickling runs code in Python: a pickle may call any global it names. This is not an unpickler but an
 * interpreter of the few opcodes and the few globals a state dict needs ({@link #allowedGlobal}); they build
 * plain values, nothing is ever looked up or called by name. Any other global (say {@code os.system}) is refused
 * the moment its opcode is read, before anything after it. Malformed input of any kind fails with a
 * {@link TorchCheckpointException} naming the file; nothing here allocates more than the input's size allows.
 */
final class StateDictPickle {

    /** A storage named by a persistent id: {@code ('storage', torch.HalfStorage, key, location, numel)}. */
    record Storage(String key, TorchDtype dtype, long numel) {
        /** dtype null: an untyped (byte) storage of {@code _rebuild_tensor_v3}. */
        long bytes() {
            return dtype == null ? numel : Math.multiplyExact(numel, dtype.bytes);
        }
    }

    /** A tensor of the state dict: its storage, element offset into it, shape and strides (in elements). */
    record Tensor(Storage storage, TorchDtype dtype, long offset, long[] shape, long[] stride) {}

    /** The globals a state dict needs; anything else is refused. */
    private enum Callable { ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_TENSOR_V3, REBUILD_PARAMETER }

    /** {@code torch.FloatStorage} & co; dtype null for {@code torch.UntypedStorage}. */
    private record StorageClass(TorchDtype dtype) {}

    private record Tuple(List<Object> items) {}

    private enum Marker { MARK, NONE }

    private static final String ALLOWED = "collections.OrderedDict, torch._utils._rebuild_tensor_v2, "
            + "torch._utils._rebuild_tensor_v3, torch._utils._rebuild_parameter, torch.*Storage, torch.<dtype>";

    private final byte[] in;
    private final String file;
    private int pos;
    private final Deque<Object> stack = new ArrayDeque<>();
    /** Index of each MARK's position in the stack (stack depth when it was pushed). */
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private final Map<String, Storage> storages = new HashMap<>();

    private StateDictPickle(byte[] in, String file) {
        this.in = in;
        this.file = file;
    }

    /**
     * @param file what to call the source in messages (the checkpoint file)
     * @return the state dict in its order
     */
    static Map<String, Tensor> read(byte[] pickle, String file) {
        Object root = new StateDictPickle(pickle, file).run();
        if (!(root instanceof LinkedHashMap<?, ?> dict)) {
            throw new TorchCheckpointException(file + ": the pickle holds a " + describe(root)
                    + ", not a state dict (a dict of tensors)");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : dict.entrySet()) {
            if (!(entry.getKey() instanceof String name)) {
                throw new TorchCheckpointException(file + ": state dict key " + describe(entry.getKey())
                        + " is not a string");
            }
            if (!(entry.getValue() instanceof Tensor tensor)) {
                throw new TorchCheckpointException(file + ": state dict entry " + name + " is a "
                        + describe(entry.getValue()) + ", not a tensor");
            }
            tensors.put(name, tensor);
        }
        return tensors;
    }

    private Object run() {
        while (true) {
            int at = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int protocol = u8();
                    if (protocol < 2 || protocol > 5) {
                        throw error("pickle protocol " + protocol + " is not supported (2 to 5)");
                    }
                }
                case 0x95 -> skip(8); // FRAME: a length hint only
                case '.' -> { // STOP
                    Object result = pop();
                    if (!stack.isEmpty() || !marks.isEmpty()) {
                        throw error("the pickle stops with values left on its stack");
                    }
                    return result;
                }
                case '(' -> { // MARK
                    marks.push(stack.size());
                    stack.push(Marker.MARK);
                }
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case 'N' -> stack.push(Marker.NONE);
                case 0x88 -> stack.push(Boolean.TRUE);
                case 0x89 -> stack.push(Boolean.FALSE);
                case 'K' -> stack.push((long) u8()); // BININT1
                case 'M' -> stack.push((long) (u8() | u8() << 8)); // BININT2
                case 'J' -> stack.push((long) s32()); // BININT
                case 0x8a -> stack.push(long1()); // LONG1
                case 'G' -> stack.push(Double.longBitsToDouble(bigEndianLong())); // BINFLOAT
                case 'X' -> stack.push(text(u32(), StandardCharsets.UTF_8)); // BINUNICODE
                case 0x8c -> stack.push(text(u8(), StandardCharsets.UTF_8)); // SHORT_BINUNICODE
                case 0x8d -> stack.push(text(u64(), StandardCharsets.UTF_8)); // BINUNICODE8
                case 'T' -> stack.push(text(u32(), StandardCharsets.ISO_8859_1)); // BINSTRING (Python 2 str)
                case 'U' -> stack.push(text(u8(), StandardCharsets.ISO_8859_1)); // SHORT_BINSTRING
                case '}' -> stack.push(new LinkedHashMap<>()); // EMPTY_DICT
                case ']' -> stack.push(new ArrayList<>()); // EMPTY_LIST
                case ')' -> stack.push(new Tuple(List.of())); // EMPTY_TUPLE
                case 0x85, 0x86, 0x87 -> { // TUPLE1..3
                    Object[] items = new Object[op - 0x84];
                    for (int i = items.length - 1; i >= 0; i--) {
                        items[i] = pop();
                    }
                    stack.push(new Tuple(Arrays.asList(items)));
                }
                case 't' -> stack.push(new Tuple(popMark())); // TUPLE
                case 'l' -> stack.push(new ArrayList<>(popMark())); // LIST
                case 'd' -> stack.push(dictOf(popMark(), new LinkedHashMap<>())); // DICT
                case 'a' -> { // APPEND
                    Object value = pop();
                    list(peek()).add(value);
                }
                case 'e' -> { // APPENDS
                    List<Object> values = popMark();
                    list(peek()).addAll(values);
                }
                case 's' -> { // SETITEM
                    Object value = pop();
                    Object key = pop();
                    dictOf(Arrays.asList(key, value), dict(peek()));
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    dictOf(items, dict(peek()));
                }
                case 'q' -> memo.put((long) u8(), peek()); // BINPUT
                case 'r' -> memo.put(u32(), peek()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                case 'h' -> stack.push(memoGet(u8())); // BINGET
                case 'j' -> stack.push(memoGet(u32())); // LONG_BINGET
                case 'c' -> stack.push(allowedGlobal(line(), line())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error("STACK_GLOBAL needs two strings");
                    }
                    stack.push(allowedGlobal(m, n));
                }
                case 'Q' -> stack.push(storage(pop())); // BINPERSID
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object callable = pop();
                    stack.push(reduce(callable, args));
                }
                case 'b' -> { // BUILD: only the OrderedDict of a state dict has state (its _metadata); ignored
                    Object state = pop();
                    if (!(peek() instanceof LinkedHashMap) || !(state instanceof LinkedHashMap)) {
                        throw error("BUILD of a " + describe(peek()) + " is not part of a state dict");
                    }
                }
                default -> throw new TorchCheckpointException(file + ": pickle opcode 0x" + Integer.toHexString(op)
                        + " at byte " + at + " is not one a state dict needs; refusing to read further");
            }
        }
    }

    /**
     * Resolves a global against the whitelist, at once: a pickle naming anything else is refused before any later
     * byte is read.
     */
    private Object allowedGlobal(String module, String name) {
        switch (module + "." + name) {
            case "collections.OrderedDict":
                return Callable.ORDERED_DICT;
            case "torch._utils._rebuild_tensor_v2":
                return Callable.REBUILD_TENSOR_V2;
            case "torch._utils._rebuild_tensor_v3":
                return Callable.REBUILD_TENSOR_V3;
            case "torch._utils._rebuild_parameter":
                return Callable.REBUILD_PARAMETER;
            case "torch.UntypedStorage":
            case "torch.storage.UntypedStorage":
                return new StorageClass(null);
            default:
                break;
        }
        if (module.equals("torch")) {
            TorchDtype storageClass = TorchDtype.ofStorageClass(name);
            if (storageClass != null) {
                return new StorageClass(storageClass);
            }
            TorchDtype dtype = TorchDtype.ofDtypeName(name);
            if (dtype != null) {
                return dtype;
            }
        }
        throw new TorchCheckpointException(file + ": refusing to load: its pickle names the global '"
                + printable(module) + "." + printable(name) + "', which a PyTorch state dict does not need (allowed: "
                + ALLOWED + "). The file may be malicious; nothing after it was read.");
    }

    private Object reduce(Object callable, Object args) {
        if (!(callable instanceof Callable c)) {
            throw error("a " + describe(callable) + " cannot be called");
        }
        if (!(args instanceof Tuple tuple)) {
            throw error(c + " needs an argument tuple, not a " + describe(args));
        }
        List<Object> a = tuple.items();
        return switch (c) {
            case ORDERED_DICT -> {
                if (!a.isEmpty()) {
                    throw error("OrderedDict is called with arguments");
                }
                yield new LinkedHashMap<>();
            }
            case REBUILD_TENSOR_V2 -> {
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                arity(a, 6, 7, "_rebuild_tensor_v2");
                Storage storage = as(a.get(0), Storage.class, "tensor storage");
                if (storage.dtype() == null) {
                    throw error("_rebuild_tensor_v2 over an untyped storage");
                }
                yield tensor(storage, storage.dtype(), a);
            }
            case REBUILD_TENSOR_V3 -> {
                // (untyped storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[, metadata])
                arity(a, 7, 8, "_rebuild_tensor_v3");
                Storage storage = as(a.get(0), Storage.class, "tensor storage");
                TorchDtype dtype = as(a.get(6), TorchDtype.class, "tensor dtype");
                if (storage.dtype() != null && storage.dtype() != dtype) {
                    throw error("_rebuild_tensor_v3 of " + dtype.torchName() + " over a " + storage.dtype().storageClass);
                }
                yield tensor(storage, dtype, a);
            }
            case REBUILD_PARAMETER -> {
                // (data, requires_grad, backward_hooks): a Parameter is its tensor
                arity(a, 3, 3, "_rebuild_parameter");
                yield as(a.get(0), Tensor.class, "parameter data");
            }
        };
    }

    private Tensor tensor(Storage storage, TorchDtype dtype, List<Object> a) {
        long offset = as(a.get(1), Long.class, "storage offset");
        long[] shape = longs(as(a.get(2), Tuple.class, "tensor size"), "tensor size");
        long[] stride = longs(as(a.get(3), Tuple.class, "tensor stride"), "tensor stride");
        as(a.get(4), Boolean.class, "requires_grad");
        if (!(a.get(5) instanceof LinkedHashMap<?, ?> hooks) || !hooks.isEmpty()) {
            throw error("tensor backward hooks must be an empty dict");
        }
        if (shape.length != stride.length) {
            throw error("tensor size " + Arrays.toString(shape) + " and stride " + Arrays.toString(stride)
                    + " differ in rank");
        }
        return new Tensor(storage, dtype, offset, shape, stride);
    }

    private Storage storage(Object pid) {
        if (!(pid instanceof Tuple tuple) || tuple.items().size() != 5 || !"storage".equals(tuple.items().get(0))) {
            throw error("persistent id " + describe(pid) + " is not ('storage', type, key, location, numel)");
        }
        List<Object> p = tuple.items();
        StorageClass type = as(p.get(1), StorageClass.class, "storage type");
        String key = as(p.get(2), String.class, "storage key");
        as(p.get(3), String.class, "storage location");
        long numel = as(p.get(4), Long.class, "storage size");
        if (numel < 0) {
            throw error("storage " + key + " has a negative size");
        }
        Storage storage = new Storage(key, type.dtype(), numel);
        Storage known = storages.putIfAbsent(key, storage);
        if (known != null && !known.equals(storage)) {
            throw error("storage " + key + " is named with two different types or sizes");
        }
        return storage;
    }

    // ---- stack and memo ----

    private Object pop() {
        if (stack.isEmpty()) {
            throw error("the pickle's stack underflows");
        }
        Object value = stack.pop();
        if (value == Marker.MARK) {
            throw error("a MARK is used as a value");
        }
        return value;
    }

    private Object peek() {
        Object value = stack.peek();
        if (value == null || value == Marker.MARK) {
            throw error("the pickle's stack underflows");
        }
        return value;
    }

    /** Pops everything above the last MARK and the MARK itself, in push order. */
    private List<Object> popMark() {
        if (marks.isEmpty()) {
            throw error("no MARK to pop to");
        }
        int depth = marks.pop();
        Object[] items = new Object[stack.size() - depth - 1];
        for (int i = items.length - 1; i >= 0; i--) {
            items[i] = stack.pop();
            if (items[i] == Marker.MARK) {
                throw error("unbalanced MARK");
            }
        }
        stack.pop(); // the MARK
        return Arrays.asList(items);
    }

    private Object memoGet(long index) {
        Object value = memo.get(index);
        if (value == null) {
            throw error("memo entry " + index + " is read before it is written");
        }
        return value;
    }

    private LinkedHashMap<Object, Object> dictOf(List<Object> items, LinkedHashMap<Object, Object> dict) {
        if (items.size() % 2 != 0) {
            throw error("a dict is built from an odd number of items");
        }
        for (int i = 0; i < items.size(); i += 2) {
            Object key = items.get(i);
            // Scalars only, as a state dict has: a list used as a key could even contain itself (unbounded hashCode).
            if (!(key instanceof String || key instanceof Long || key instanceof Boolean || key == Marker.NONE)) {
                throw error("a " + describe(key) + " is used as a dict key");
            }
            dict.put(key, items.get(i + 1));
        }
        return dict;
    }

    @SuppressWarnings("unchecked")
    private LinkedHashMap<Object, Object> dict(Object value) {
        return as(value, LinkedHashMap.class, "dict");
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object value) {
        return as(value, ArrayList.class, "list");
    }

    private <T> T as(Object value, Class<T> type, String what) {
        if (!type.isInstance(value)) {
            throw error(what + " is a " + describe(value));
        }
        return type.cast(value);
    }

    private void arity(List<Object> args, int min, int max, String function) {
        if (args.size() < min || args.size() > max) {
            throw error(function + " is called with " + args.size() + " arguments");
        }
    }

    private long[] longs(Tuple tuple, String what) {
        long[] values = new long[tuple.items().size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = as(tuple.items().get(i), Long.class, what + " element");
        }
        return values;
    }

    // ---- bytes ----

    private int u8() {
        need(1);
        return in[pos++] & 0xff;
    }

    private int s32() {
        need(4);
        int v = (in[pos] & 0xff) | (in[pos + 1] & 0xff) << 8 | (in[pos + 2] & 0xff) << 16 | in[pos + 3] << 24;
        pos += 4;
        return v;
    }

    private long u32() {
        return s32() & 0xffffffffL;
    }

    private long u64() {
        long low = u32();
        long high = u32();
        if (high != 0) {
            throw error("a length of 2^32 bytes or more");
        }
        return low;
    }

    private long bigEndianLong() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (in[pos++] & 0xff);
        }
        return v;
    }

    /** LONG1: a little-endian two's complement integer of n bytes; a state dict's fit in 8. */
    private long long1() {
        int n = u8();
        if (n > 8) {
            throw error("an integer of " + n + " bytes");
        }
        need(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (in[pos + i] & 0xff);
        }
        if (n > 0 && n < 8 && in[pos + n - 1] < 0) {
            v -= 1L << (8 * n);
        }
        pos += n;
        return v;
    }

    private String text(long length, Charset charset) {
        need(length);
        String s = new String(in, pos, (int) length, charset);
        pos += (int) length;
        return s;
    }

    /** A text line of GLOBAL (module or name), without its newline. */
    private String line() {
        int start = pos;
        while (pos < in.length && in[pos] != '\n') {
            pos++;
        }
        if (pos == in.length) {
            throw truncated();
        }
        return new String(in, start, pos++ - start, StandardCharsets.UTF_8);
    }

    private void skip(long n) {
        need(n);
        pos += (int) n;
    }

    private void need(long n) {
        if (n > in.length - pos) {
            throw truncated();
        }
    }

    private TorchCheckpointException truncated() {
        return new TorchCheckpointException(file + ": the pickle ends early (truncated or corrupt data.pkl)");
    }

    private TorchCheckpointException error(String what) {
        return new TorchCheckpointException(file + ": not a valid state dict pickle: " + what + " (byte " + pos + ")");
    }

    private static String describe(Object value) {
        if (value instanceof Tuple t) {
            return "tuple of " + t.items().size();
        }
        if (value instanceof Marker m) {
            return m == Marker.NONE ? "None" : "MARK";
        }
        if (value instanceof LinkedHashMap) {
            return "dict";
        }
        if (value instanceof ArrayList) {
            return "list";
        }
        if (value instanceof String) {
            return "str";
        }
        if (value instanceof Long || value instanceof Boolean || value instanceof Double) {
            return value.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
        }
        if (value instanceof Callable c) {
            return "function " + c;
        }
        if (value instanceof StorageClass || value instanceof TorchDtype) {
            return "storage type or dtype";
        }
        return value == null ? "nothing" : value.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }

    /** Keeps a hostile name from writing control characters or pages of text into the log. */
    private static String printable(String s) {
        String clean = s.replaceAll("\\p{Cntrl}", "?");
        return clean.length() > 200 ? clean.substring(0, 200) + "…" : clean;
    }
}
