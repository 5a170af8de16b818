package io.kaption.constraints;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** Sets of code points as sorted, disjoint, inclusive ranges {@code {low, high}}. */
final class CodePointSet {

    private CodePointSet() {
    }

    static int[][] normalize(int[][] ranges) {
        int[][] sorted = ranges.clone();
        Arrays.sort(sorted, Comparator.comparingInt(r -> r[0]));
        List<int[]> out = new ArrayList<>();
        for (int[] r : sorted) {
            if (!out.isEmpty() && r[0] <= out.get(out.size() - 1)[1] + 1) {
                int[] last = out.get(out.size() - 1);
                last[1] = Math.max(last[1], r[1]);
            } else {
                out.add(new int[] {r[0], r[1]});
            }
        }
        return out.toArray(new int[0][]);
    }

    /** Every code point not in {@code set}. */
    static int[][] complement(int[][] set) {
        List<int[]> out = new ArrayList<>();
        int next = 0;
        for (int[] r : normalize(set)) {
            if (r[0] > next) {
                out.add(new int[] {next, r[0] - 1});
            }
            next = r[1] + 1;
        }
        if (next <= Character.MAX_CODE_POINT) {
            out.add(new int[] {next, Character.MAX_CODE_POINT});
        }
        return out.toArray(new int[0][]);
    }

    /** ASCII characters not in {@code set}. */
    static int[][] asciiComplement(int[][] set) {
        List<int[]> out = new ArrayList<>();
        for (int[] r : complement(set)) {
            if (r[0] <= 0x7f) {
                out.add(new int[] {r[0], Math.min(r[1], 0x7f)});
            }
        }
        return out.toArray(new int[0][]);
    }

    /**
     * One char of the set. Only Basic Multilingual Plane characters outside the surrogate range: a token's text is
     * walked one UTF-16 char at a time, and a lone surrogate must never pass for a whole character. Code points
     * above U+FFFF are matched when written literally in a pattern, not through a class (a subset, never wrong).
     */
    static Automaton toAutomaton(int[][] set) {
        List<Automaton> parts = new ArrayList<>();
        for (int[] r : normalize(set)) {
            addBmp(parts, r[0], Math.min(r[1], Character.MIN_SURROGATE - 1));
            addBmp(parts, Math.max(r[0], Character.MAX_SURROGATE + 1), Math.min(r[1], 0xffff));
        }
        return parts.isEmpty() ? BasicAutomata.makeEmpty() : Automaton.union(parts);
    }

    private static void addBmp(List<Automaton> parts, int low, int high) {
        if (low <= high) {
            parts.add(BasicAutomata.makeCharRange((char) low, (char) high));
        }
    }
}
