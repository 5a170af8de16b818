package io.kaption.constraints;

import java.util.Random;

/** Random regular expressions in the syntax Python's re and java.util.regex read alike. */
public final class RandomRegex {

    private static final String[] ATOMS = {"a", "b", "c", "x", "0", "7", " ", "\\.", "-", ",", "[a-c]", "[0-9]",
        "[^abc]", "\\d", "\\w", "\\s", "[A-Z_]", ".", "\\-", "[xy]", "é"};

    private RandomRegex() {
    }

    public static String generate(Random random, int depth) {
        int parts = 1 + random.nextInt(4);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < parts; i++) {
            String atom;
            if (depth > 0 && random.nextInt(4) == 0) {
                String left = generate(random, depth - 1);
                atom = random.nextBoolean() ? "(" + left + "|" + generate(random, depth - 1) + ")" : "(?:" + left + ")";
            } else {
                atom = ATOMS[random.nextInt(ATOMS.length)];
            }
            out.append(atom).append(switch (random.nextInt(9)) {
                case 0 -> "*";
                case 1 -> "+";
                case 2 -> "?";
                case 3 -> "{" + random.nextInt(3) + "}";
                case 4 -> "{1," + (1 + random.nextInt(3)) + "}";
                default -> "";
            });
        }
        return out.toString();
    }

    /** {@code accepted} mutated a little, so that both answers come up. */
    static String probe(Random random, String accepted) {
        StringBuilder s = new StringBuilder(accepted);
        int edits = random.nextInt(3);
        for (int e = 0; e < edits; e++) {
            char c = "abcx07 .-,ZÉé\n_"
                    .charAt(random.nextInt(15));
            if (s.length() > 0 && random.nextBoolean()) {
                s.setCharAt(random.nextInt(s.length()), c);
            } else {
                s.insert(random.nextInt(s.length() + 1), c);
            }
        }
        return s.toString();
    }
}
