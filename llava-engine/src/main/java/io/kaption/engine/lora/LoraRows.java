package io.kaption.engine.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which LoRA adapter each row of one forward pass uses, and the delta that adds to a projection's output
 * (S-LoRA / Punica style, no weight merging): the rows are grouped by adapter, each group's inputs go through its
 * adapter's low-rank pair in one product, and the groups' deltas are put back in row order (rows without adapter
 * get zeros) and added to the base projection's output.
 */
public final class LoraRows {

    /** Every row runs the base model. */
    public static final LoraRows NONE = new LoraRows(List.of(), null, 0);

    private record Group(LoraAdapter adapter, NDArray rows) {}

    private final List<Group> groups;
    /** For row r, its position in [group 0's rows, group 1's rows, …, one zero row]; null when one group has all. */
    private final NDArray order;
    private final int baseRows;

    private LoraRows(List<Group> groups, NDArray order, int baseRows) {
        this.groups = groups;
        this.order = order;
        this.baseRows = baseRows;
    }

    /** {@code adapters.get(r)}: row r's adapter, or null for the base model. Arrays are created in {@code scope}. */
    public static LoraRows of(List<LoraAdapter> adapters, NDManager scope) {
        Map<LoraAdapter, List<Integer>> byAdapter = new LinkedHashMap<>();
        int baseRows = 0;
        for (int r = 0; r < adapters.size(); r++) {
            if (adapters.get(r) == null) {
                baseRows++;
            } else {
                byAdapter.computeIfAbsent(adapters.get(r), a -> new ArrayList<>()).add(r);
            }
        }
        if (byAdapter.isEmpty()) {
            return NONE;
        }
        List<Group> groups = new ArrayList<>();
        long[] order = new long[adapters.size()];
        int stacked = 0;
        for (Map.Entry<LoraAdapter, List<Integer>> e : byAdapter.entrySet()) {
            long[] rows = e.getValue().stream().mapToLong(Integer::longValue).toArray();
            for (long row : rows) {
                order[(int) row] = stacked++;
            }
            groups.add(new Group(e.getKey(), scope.create(rows)));
        }
        for (int r = 0; r < adapters.size(); r++) {
            if (adapters.get(r) == null) {
                order[r] = stacked; // the zero row
            }
        }
        boolean oneGroupAllRows = groups.size() == 1 && baseRows == 0;
        return new LoraRows(groups, oneGroupAllRows ? null : scope.create(order), baseRows);
    }

    /**
     * {@code base} {@code [B, L, out]}, the output of {@code projection} of {@code layer} for input {@code x}
     * {@code [B, L, in]}, plus each row's adapter delta.
     */
    public NDArray add(int layer, Projection projection, NDArray x, NDArray base) {
        if (groups.isEmpty()) {
            return base;
        }
        if (order == null) {
            LoraAdapter.Delta delta = groups.get(0).adapter.delta(layer, projection);
            return delta == null ? base : base.add(delta.apply(x));
        }
        NDList parts = new NDList();
        boolean any = false;
        for (Group group : groups) {
            LoraAdapter.Delta delta = group.adapter.delta(layer, projection);
            if (delta == null) {
                parts.add(base.get(group.rows).zerosLike());
            } else {
                parts.add(delta.apply(x.get(group.rows)));
                any = true;
            }
        }
        if (!any) {
            return base;
        }
        Shape shape = base.getShape();
        if (baseRows > 0) {
            parts.add(base.getManager().zeros(new Shape(1, shape.get(1), shape.get(2)), base.getDataType()));
        }
        return base.add(NDArrays.concat(parts).get(order));
    }
}
