package io.kaption.constraints;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Random;

/** Random texts an automaton accepts: a random walk that heads for the nearest accepting state once long enough. */
final class DfaSampler {

    private final CharDfa dfa;
    private final int[] distance;

    DfaSampler(CharDfa dfa) {
        this.dfa = dfa;
        int n = dfa.stateCount();
        distance = new int[n];
        Arrays.fill(distance, Integer.MAX_VALUE);
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int s = 0; s < n; s++) {
            if (dfa.isAccepting(s)) {
                distance[s] = 0;
                queue.add(s);
            }
        }
        while (!queue.isEmpty()) { // backwards BFS, by scanning all edges (automata here are small)
            int target = queue.poll();
            for (int s = 0; s < n; s++) {
                for (int i = dfa.firstTransition(s); i < dfa.firstTransition(s + 1); i++) {
                    if (dfa.transitionDest(i) == target && distance[s] == Integer.MAX_VALUE) {
                        distance[s] = distance[target] + 1;
                        queue.add(s);
                    }
                }
            }
        }
    }

    String sample(Random random, int softLength) {
        StringBuilder out = new StringBuilder();
        int state = dfa.initialState();
        while (true) {
            int from = dfa.firstTransition(state);
            int to = dfa.firstTransition(state + 1);
            if (dfa.isAccepting(state) && (from == to || random.nextInt(4) == 0 || out.length() >= softLength)) {
                return out.toString();
            }
            int pick = from + random.nextInt(to - from);
            if (out.length() >= softLength) {
                for (int i = from; i < to; i++) {
                    if (distance[dfa.transitionDest(i)] < distance[dfa.transitionDest(pick)]) {
                        pick = i;
                    }
                }
            }
            char lo = dfa.transitionMin(pick);
            char hi = dfa.transitionMax(pick);
            char c = random.nextInt(3) == 0 || hi - lo < 2 ? lo : (char) (lo + random.nextInt(Math.min(hi - lo + 1, 200)));
            out.append(c);
            state = dfa.transitionDest(pick);
        }
    }
}
