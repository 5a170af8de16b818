package io.kaption.constraints;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.State;
import dk.brics.automaton.Transition;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal deterministic automaton over UTF-16 chars with no dead states, as flat arrays: state {@code s}'s
 * transitions are the sorted, disjoint char ranges {@code [min[i], max[i]] → dest[i]} for {@code i} in
 * {@code [first[s], first[s+1])}. Immutable and thread-safe.
 */
public final class CharDfa {

    /** The state of a char no transition takes: the text can no longer match. */
    public static final int DEAD = -1;

    private final int initial;
    private final boolean[] accepting;
    private final int[] first;
    private final char[] min;
    private final char[] max;
    private final int[] dest;

    private CharDfa(int initial, boolean[] accepting, int[] first, char[] min, char[] max, int[] dest) {
        this.initial = initial;
        this.accepting = accepting;
        this.first = first;
        this.min = min;
        this.max = max;
        this.dest = dest;
    }

    /** Determinizes and minimizes {@code automaton} (a copy) and flattens it. */
    static CharDfa of(Automaton automaton) {
        Automaton minimal = automaton.clone();
        minimal.minimize();
        minimal.removeDeadTransitions();
        Map<State, Integer> numbers = new IdentityHashMap<>();
        List<State> states = new ArrayList<>();
        // The initial state first; others in discovery order, so equal automata flatten equally.
        List<State> queue = new ArrayList<>(List.of(minimal.getInitialState()));
        numbers.put(minimal.getInitialState(), 0);
        for (int i = 0; i < queue.size(); i++) {
            State state = queue.get(i);
            states.add(state);
            for (Transition t : state.getSortedTransitions(false)) {
                if (!numbers.containsKey(t.getDest())) {
                    numbers.put(t.getDest(), queue.size());
                    queue.add(t.getDest());
                }
            }
        }
        int count = states.size();
        boolean[] accepting = new boolean[count];
        int[] first = new int[count + 1];
        List<Transition> all = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            accepting[s] = states.get(s).isAccept();
            first[s] = all.size();
            all.addAll(states.get(s).getSortedTransitions(false));
        }
        first[count] = all.size();
        char[] min = new char[all.size()];
        char[] max = new char[all.size()];
        int[] dest = new int[all.size()];
        for (int i = 0; i < all.size(); i++) {
            min[i] = all.get(i).getMin();
            max[i] = all.get(i).getMax();
            dest[i] = numbers.get(all.get(i).getDest());
        }
        return new CharDfa(0, accepting, first, min, max, dest);
    }

    public int initialState() {
        return initial;
    }

    public int stateCount() {
        return accepting.length;
    }

    public boolean isAccepting(int state) {
        return accepting[state];
    }

    /** True when no char leaves {@code state} (only the end of the text may follow). */
    public boolean isFinal(int state) {
        return first[state] == first[state + 1];
    }

    /** The state after {@code c}, or {@link #DEAD}. */
    public int step(int state, char c) {
        int lo = first[state];
        int hi = first[state + 1] - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (c < min[mid]) {
                hi = mid - 1;
            } else if (c > max[mid]) {
                lo = mid + 1;
            } else {
                return dest[mid];
            }
        }
        return DEAD;
    }

    /** The state after {@code text} from {@code state}, or {@link #DEAD}. */
    public int walk(int state, CharSequence text) {
        for (int i = 0; i < text.length() && state != DEAD; i++) {
            state = step(state, text.charAt(i));
        }
        return state;
    }

    // For tests that walk the automaton: transitions i in [firstTransition(s), firstTransition(s + 1)).
    int firstTransition(int state) {
        return first[state];
    }

    char transitionMin(int i) {
        return min[i];
    }

    char transitionMax(int i) {
        return max[i];
    }

    int transitionDest(int i) {
        return dest[i];
    }

    /** Whether the whole of {@code text} is in the language ({@code re.fullmatch}). */
    public boolean matches(CharSequence text) {
        int end = walk(initial, text);
        return end != DEAD && accepting[end];
    }
}
