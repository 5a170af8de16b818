package io.kaption.constraints;

import com.fasterxml.jackson.databind.JsonNode;
import dk.brics.automaton.Automaton;

/**
 * What a request's output must be: a {@code regex_string} or a {@code json_schema}, compiled to the minimal DFA of
 * the texts allowed ({@code re.fullmatch} semantics). Immutable and thread-safe; compile once per distinct
 * constraint ({@link #key()}) and share.
 *
 * @param key    {@code regex:<pattern>} or {@code json_schema:<compact schema>}: equal keys, equal constraints
 * @param regex  the regular expression (Python syntax) the DFA was built from; for a schema, the compiled one
 * @param dfa    the automaton
 */
public record OutputConstraint(String key, String regex, CharDfa dfa) {

    /** Largest DFA accepted; bigger ones would make per-state token masks too costly to compute. */
    public static final int MAX_STATES = 20_000;

    /**
     * The constraint of a request's fields, or null when it sets neither.
     *
     * @throws ConstraintException when both are set, or the one set is invalid or unsupported
     */
    public static OutputConstraint of(String regexString, JsonNode jsonSchema) {
        if (regexString != null && jsonSchema != null) {
            throw new ConstraintException("set regex_string or json_schema, not both");
        }
        if (regexString != null) {
            return regex(regexString);
        }
        return jsonSchema == null ? null : jsonSchema(jsonSchema);
    }

    /** @throws ConstraintException with the reason, prefixed {@code regex_string: } */
    public static OutputConstraint regex(String pattern) {
        try {
            return new OutputConstraint("regex:" + pattern, pattern, compile(pattern));
        } catch (ConstraintException e) {
            throw new ConstraintException("regex_string: " + e.getMessage());
        }
    }

    /** @throws ConstraintException with the reason, naming the schema location */
    public static OutputConstraint jsonSchema(JsonNode schema) {
        String regex = JsonSchemaRegex.compile(schema);
        try {
            return new OutputConstraint("json_schema:" + schema, regex, compile(regex));
        } catch (ConstraintException e) {
            throw new ConstraintException("json_schema: " + e.getMessage());
        }
    }

    private static CharDfa compile(String pattern) {
        Automaton automaton = PythonRegex.parse(pattern);
        if (automaton.isEmpty()) {
            throw new ConstraintException("matches no text at all");
        }
        CharDfa dfa = CharDfa.of(automaton);
        if (dfa.stateCount() > MAX_STATES) {
            throw new ConstraintException("too complex: its automaton has " + dfa.stateCount() + " states (at most "
                    + MAX_STATES + ")");
        }
        return dfa;
    }
}
