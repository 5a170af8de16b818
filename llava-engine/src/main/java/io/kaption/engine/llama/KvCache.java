package io.kaption.engine.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every decoder layer for a batch of rows, {@code [rows, kvHeads, capacity, headDim]} per layer.
 * Rows share one time axis (slot {@code t} is the same step for every row; rows that started later are
 * left-padded); writes go in place into preallocated capacity, which grows geometrically only when exhausted.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int capacity;

    public KvCache(NDManager manager, int layers, int rows, int kvHeads, int headDim, int capacity, DataType type) {
        this.manager = manager;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.capacity = capacity;
        Shape shape = new Shape(rows, kvHeads, capacity, headDim);
        // Left uninitialised: every slot is written (prefill, decode step) before it is read.
        for (int l = 0; l < layers; l++) {
            keys[l] = manager.create(shape, type);
            values[l] = manager.create(shape, type);
        }
    }

    private KvCache(NDManager manager, NDArray[] keys, NDArray[] values) {
        this.manager = manager;
        this.keys = keys;
        this.values = values;
        this.capacity = (int) keys[0].getShape().get(2);
    }

    /**
     * Rows {@code [from, to)} as a cache of their own whose writes land in this one (views, not copies): for
     * prefilling a batch's rows in several passes. It must not grow; closing it frees only the views.
     */
    public KvCache rows(int from, int to) {
        NDArray[] rowKeys = new NDArray[keys.length];
        NDArray[] rowValues = new NDArray[values.length];
        for (int l = 0; l < keys.length; l++) {
            rowKeys[l] = keys[l].get(new NDIndex("{}:{}", from, to));
            rowValues[l] = values[l].get(new NDIndex("{}:{}", from, to));
        }
        return new KvCache(manager, rowKeys, rowValues);
    }

    /** Makes room for {@code slots} time slots, keeping the first {@code used}. */
    public void ensureCapacity(int slots, int used) {
        if (slots <= capacity) {
            return;
        }
        int grown = Math.max(slots, capacity * 2);
        for (int l = 0; l < keys.length; l++) {
            keys[l] = regrow(keys[l], grown, used);
            values[l] = regrow(values[l], grown, used);
        }
        capacity = grown;
    }

    private NDArray regrow(NDArray old, int grown, int used) {
        Shape s = old.getShape();
        NDArray bigger = manager.zeros(new Shape(s.get(0), s.get(1), grown, s.get(3)), old.getDataType());
        if (used > 0) {
            try (NDArray kept = old.get(":, :, 0:{}, :", used)) {
                bigger.set(new NDIndex(":, :, 0:{}, :", used), kept);
            }
        }
        old.close();
        return bigger;
    }

    /** Stores {@code [rows, kvHeads, n, headDim]} keys and values at slots {@code [slot, slot + n)}. */
    void write(int layer, int slot, NDArray k, NDArray v) {
        long n = k.getShape().get(2);
        keys[layer].set(new NDIndex(":, :, {}:{}, :", slot, slot + n), k);
        values[layer].set(new NDIndex(":, :, {}:{}, :", slot, slot + n), v);
    }

    /** Views of slots {@code [0, end)} owned by {@code scope}. */
    NDArray keys(int layer, int end, NDManager scope) {
        return keys[layer].get(scope, new NDIndex(":, :, 0:{}, :", end));
    }

    NDArray values(int layer, int end, NDManager scope) {
        return values[layer].get(scope, new NDIndex(":, :, 0:{}, :", end));
    }

    /**
     * A new cache holding the rows of {@code first} then those of {@code second}, each row's used slots
     * right-aligned to a common length {@code length = max(firstLength, secondLength)}.
     */
    public static KvCache concatRows(KvCache first, int firstLength, KvCache second, int secondLength,
            int capacity, NDManager manager) {
        int length = Math.max(firstLength, secondLength);
        int layers = first.keys.length;
        NDArray[] keys = new NDArray[layers];
        NDArray[] values = new NDArray[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = stackRightAligned(first.keys[l], firstLength, second.keys[l], secondLength, length, capacity,
                    manager);
            values[l] = stackRightAligned(first.values[l], firstLength, second.values[l], secondLength, length,
                    capacity, manager);
        }
        return new KvCache(manager, keys, values);
    }

    private static NDArray stackRightAligned(NDArray a, int aLength, NDArray b, int bLength, int length,
            int capacity, NDManager manager) {
        Shape s = a.getShape();
        long aRows = s.get(0);
        long bRows = b.getShape().get(0);
        NDArray out = manager.zeros(new Shape(aRows + bRows, s.get(1), capacity, s.get(3)), a.getDataType());
        try (NDManager scope = manager.newSubManager()) {
            out.set(new NDIndex("0:{}, :, {}:{}, :", aRows, length - aLength, length),
                    a.get(scope, new NDIndex(":, :, 0:{}, :", aLength)));
            out.set(new NDIndex("{}:, :, {}:{}, :", aRows, length - bLength, length),
                    b.get(scope, new NDIndex(":, :, 0:{}, :", bLength)));
        }
        return out;
    }

    /** Keeps only {@code rows} (in that order) and the slots {@code [from, to)}, which become {@code [0, to-from)}. */
    public void retain(long[] rows, int from, int to) {
        for (int l = 0; l < keys.length; l++) {
            keys[l] = select(keys[l], rows, from, to);
            values[l] = select(values[l], rows, from, to);
        }
    }

    private NDArray select(NDArray old, long[] rows, int from, int to) {
        Shape s = old.getShape();
        NDArray out = manager.zeros(new Shape(rows.length, s.get(1), capacity, s.get(3)), old.getDataType());
        try (NDManager scope = manager.newSubManager()) {
            NDArray index = scope.create(rows);
            NDArray kept = old.get(scope, new NDIndex(":, :, {}:{}, :", from, to)).get(index);
            out.set(new NDIndex(":, :, 0:{}, :", to - from), kept);
        }
        old.close();
        return out;
    }

    @Override
    public void close() {
        for (int l = 0; l < keys.length; l++) {
            keys[l].close();
            values[l].close();
        }
    }
}
