package io.kaption.constraints;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses a regular expression in Python's {@code re} syntax into an automaton of the strings it
 * {@code re.fullmatch}es — or of a subset of them where Python's semantics are wider than a DFA over chars can say
 * exactly (see the module README). Constructs with no regular equivalent (backreferences, lookaround, word
 * boundaries, inline flags) are refused, never approximated.
 */
final class PythonRegex {

    /** Repetition bounds above this make automata too large to be worth it. */
    static final int MAX_REPEAT = 1000;
    /** Bound on the automata built while parsing, so that nested repeats cannot exhaust memory. */
    private static final int MAX_STATES_BUILT = 200_000;

    private static final int[][] DIGIT = {{'0', '9'}};
    private static final int[][] WORD = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
    private static final int[][] SPACE = {{'\t', '\r'}, {' ', ' '}};

    private final String pattern;
    private final int[] cps;
    private int pos;

    private PythonRegex(String pattern) {
        this.pattern = pattern;
        this.cps = pattern.codePoints().toArray();
    }

    static Automaton parse(String pattern) {
        PythonRegex parser = new PythonRegex(pattern);
        Automaton result = parser.alternation(0);
        if (parser.pos < parser.cps.length) {
            throw parser.invalid(parser.cps[parser.pos] == ')' ? "unbalanced parenthesis" : "unexpected character");
        }
        return result;
    }

    private Automaton alternation(int depth) {
        List<Automaton> branches = new ArrayList<>();
        branches.add(concatenation(depth));
        while (peek('|')) {
            pos++;
            branches.add(concatenation(depth));
        }
        return branches.size() == 1 ? branches.get(0) : Automaton.union(branches);
    }

    private Automaton concatenation(int depth) {
        List<Automaton> parts = new ArrayList<>();
        while (pos < cps.length && cps[pos] != '|' && cps[pos] != ')') {
            if (cps[pos] == '^' && pos == 0) {
                pos++; // fullmatch: an anchor at the very start adds nothing
                continue;
            }
            if (cps[pos] == '$' && pos == cps.length - 1) {
                pos++;
                continue;
            }
            parts.add(quantified(atom(depth)));
        }
        return parts.isEmpty() ? BasicAutomata.makeEmptyString() : Automaton.concatenate(parts);
    }

    private Automaton quantified(Automaton atom) {
        boolean repeated = false;
        while (pos < cps.length) {
            int start = pos;
            int c = cps[pos];
            int min;
            int max;
            if (c == '*') {
                min = 0;
                max = -1;
                pos++;
            } else if (c == '+') {
                min = 1;
                max = -1;
                pos++;
            } else if (c == '?') {
                min = 0;
                max = 1;
                pos++;
            } else if (c == '{') {
                int[] bounds = braces();
                if (bounds == null) {
                    return atom; // Python reads a '{' that does not start a repeat as a literal
                }
                min = bounds[0];
                max = bounds[1];
            } else {
                return atom;
            }
            if (repeated) {
                pos = start;
                throw invalid("multiple repeat");
            }
            repeated = true;
            if (peek('?')) {
                pos++; // lazy: the same strings
            } else if (peek('+')) {
                throw unsupported("possessive quantifiers");
            }
            if ((long) atom.getNumberOfStates() * Math.max(min, max) > MAX_STATES_BUILT) {
                pos = start;
                throw unsupported("repetitions this large");
            }
            atom = max == -1 ? atom.repeat(min) : atom.repeat(min, max);
        }
        return atom;
    }

    /** {@code {m}}, {@code {m,}}, {@code {,n}}, {@code {m,n}} as {min, max (-1: none)}; null (pos unchanged) if not one. */
    private int[] braces() {
        int start = pos;
        int end = pattern.indexOf('}', pattern.offsetByCodePoints(0, pos));
        if (end < 0) {
            return null;
        }
        String inside = pattern.substring(pattern.offsetByCodePoints(0, pos) + 1, end);
        if (!inside.matches("[0-9]*(,[0-9]*)?") || inside.isEmpty() || inside.equals(",")) {
            return null;
        }
        pos += inside.codePointCount(0, inside.length()) + 2;
        int comma = inside.indexOf(',');
        String low = comma < 0 ? inside : inside.substring(0, comma);
        String high = comma < 0 ? inside : inside.substring(comma + 1);
        int min = low.isEmpty() ? 0 : bound(low, start);
        int max = high.isEmpty() ? -1 : bound(high, start);
        if (max != -1 && max < min) {
            pos = start;
            throw invalid("min repeat greater than max repeat");
        }
        return new int[] {min, max};
    }

    private int bound(String digits, int start) {
        if (digits.length() > 6 || Integer.parseInt(digits) > MAX_REPEAT) {
            pos = start;
            throw unsupported("repetition counts above " + MAX_REPEAT);
        }
        return Integer.parseInt(digits);
    }

    private Automaton atom(int depth) {
        int c = cps[pos];
        switch (c) {
            case '(' -> {
                return group(depth);
            }
            case '[' -> {
                return CodePointSet.toAutomaton(characterClass());
            }
            case '.' -> {
                pos++;
                return CodePointSet.toAutomaton(CodePointSet.complement(new int[][] {{'\n', '\n'}}));
            }
            case '\\' -> {
                return escapeAtom();
            }
            case '*', '+', '?' -> throw invalid("nothing to repeat");
            case '{' -> {
                if (braces() != null) {
                    throw invalid("nothing to repeat");
                }
                pos++;
                return BasicAutomata.makeChar('{');
            }
            case '^', '$' -> throw unsupported("anchors other than a leading ^ and a trailing $");
            default -> {
                pos++;
                return literal(c);
            }
        }
    }

    private Automaton group(int depth) {
        int start = pos;
        pos++;
        if (peek('?')) {
            pos++;
            if (peek(':')) {
                pos++;
            } else if (peek('P') && pos + 1 < cps.length && cps[pos + 1] == '<') {
                int close = indexOf('>', pos);
                if (close < 0) {
                    throw invalid("missing >, unterminated name");
                }
                pos = close + 1;
            } else if (peek('P') && pos + 1 < cps.length && cps[pos + 1] == '=') {
                throw unsupported("backreferences");
            } else if (peek('=') || peek('!') || peek('<')) {
                throw unsupported("lookahead and lookbehind");
            } else {
                throw unsupported("inline flags and other (?...) extensions");
            }
        }
        if (depth > 200) {
            throw unsupported("groups nested more than 200 deep");
        }
        Automaton inner = alternation(depth + 1);
        if (!peek(')')) {
            pos = start;
            throw invalid("missing ), unterminated subpattern");
        }
        pos++;
        return inner;
    }

    private Automaton escapeAtom() {
        int start = pos;
        pos++;
        if (pos >= cps.length) {
            throw invalid("bad escape (end of pattern)");
        }
        int c = cps[pos];
        int[][] shorthand = shorthandClass(c);
        if (shorthand != null) {
            pos++;
            return CodePointSet.toAutomaton(shorthand);
        }
        switch (c) {
            case 'A' -> {
                pos++;
                if (start != 0) {
                    throw unsupported("\\A other than at the start");
                }
                return BasicAutomata.makeEmptyString();
            }
            case 'Z' -> {
                pos++;
                if (pos != cps.length) {
                    throw unsupported("\\Z other than at the end");
                }
                return BasicAutomata.makeEmptyString();
            }
            case 'b', 'B' -> throw unsupported("word boundaries (\\b, \\B)");
            default -> {
                if (c >= '1' && c <= '9') {
                    throw unsupported("backreferences");
                }
                return literal(escapedCodePoint());
            }
        }
    }

    /** After the backslash: a single escaped character; pos moves past it. */
    private int escapedCodePoint() {
        int c = cps[pos++];
        switch (c) {
            case 'a':
                return 7;
            case 'f':
                return '\f';
            case 'n':
                return '\n';
            case 'r':
                return '\r';
            case 't':
                return '\t';
            case 'v':
                return 0x0b;
            case 'x':
                return hex(2);
            case 'u':
                return hex(4);
            case 'U':
                return hex(8);
            case '0':
                if (pos < cps.length && cps[pos] >= '0' && cps[pos] <= '7') {
                    throw unsupported("octal escapes");
                }
                return 0;
            default:
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
                    pos--;
                    throw invalid("bad escape \\" + Character.toString(c));
                }
                return c;
        }
    }

    private int hex(int digits) {
        if (pos + digits > cps.length) {
            throw invalid("incomplete escape");
        }
        int value = 0;
        for (int i = 0; i < digits; i++) {
            int d = Character.digit(cps[pos + i], 16);
            if (d < 0) {
                throw invalid("incomplete escape");
            }
            value = value * 16 + d;
        }
        pos += digits;
        if (value > Character.MAX_CODE_POINT) {
            throw invalid("bad escape (code point out of range)");
        }
        return value;
    }

    private static int[][] shorthandClass(int c) {
        return switch (c) {
            case 'd' -> DIGIT;
            case 'w' -> WORD;
            case 's' -> SPACE;
            // ASCII only: Python's \D, \W, \S exclude Unicode digits, letters and spaces this table does not know.
            case 'D' -> CodePointSet.asciiComplement(DIGIT);
            case 'W' -> CodePointSet.asciiComplement(WORD);
            case 'S' -> CodePointSet.asciiComplement(SPACE);
            default -> null;
        };
    }

    private int[][] characterClass() {
        int start = pos;
        pos++;
        boolean negated = false;
        if (peek('^')) {
            negated = true;
            pos++;
        }
        List<int[]> ranges = new ArrayList<>();
        boolean firstItem = true;
        while (true) {
            if (pos >= cps.length) {
                pos = start;
                throw invalid("unterminated character set");
            }
            int c = cps[pos];
            if (c == ']' && !firstItem) {
                pos++;
                break;
            }
            firstItem = false;
            int low;
            if (c == '\\') {
                pos++;
                if (pos >= cps.length) {
                    throw invalid("bad escape (end of pattern)");
                }
                int[][] shorthand = shorthandClass(cps[pos]);
                if (shorthand != null) {
                    pos++;
                    for (int[] r : shorthand) {
                        ranges.add(r);
                    }
                    if (peek('-') && pos + 1 < cps.length && cps[pos + 1] != ']') {
                        throw invalid("bad character range");
                    }
                    continue;
                }
                if (cps[pos] == 'b') {
                    pos++;
                    low = '\b';
                } else {
                    low = escapedCodePoint();
                }
            } else {
                pos++;
                low = c;
            }
            int high = low;
            if (peek('-') && pos + 1 < cps.length && cps[pos + 1] != ']') {
                int rangeStart = pos;
                pos++;
                if (cps[pos] == '\\') {
                    pos++;
                    if (pos < cps.length && shorthandClass(cps[pos]) != null) {
                        pos = rangeStart;
                        throw invalid("bad character range");
                    }
                    if (pos < cps.length && cps[pos] == 'b') {
                        pos++;
                        high = '\b';
                    } else {
                        high = escapedCodePoint();
                    }
                } else {
                    high = cps[pos++];
                }
                if (high < low) {
                    pos = rangeStart;
                    throw invalid("bad character range");
                }
            }
            ranges.add(new int[] {low, high});
        }
        int[][] set = CodePointSet.normalize(ranges.toArray(new int[0][]));
        return negated ? CodePointSet.complement(set) : set;
    }

    private Automaton literal(int codePoint) {
        if (codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE) {
            throw unsupported("lone surrogates");
        }
        return BasicAutomata.makeString(Character.toString(codePoint));
    }

    private boolean peek(int c) {
        return pos < cps.length && cps[pos] == c;
    }

    private int indexOf(int c, int from) {
        for (int i = from; i < cps.length; i++) {
            if (cps[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private ConstraintException invalid(String why) {
        return new ConstraintException("invalid regular expression: " + why + " at position " + pos);
    }

    private ConstraintException unsupported(String what) {
        return new ConstraintException("unsupported regular expression: " + what + " (at position " + pos
                + ") cannot be compiled to an automaton");
    }
}
