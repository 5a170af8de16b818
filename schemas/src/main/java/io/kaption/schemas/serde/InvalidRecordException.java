package io.kaption.schemas.serde;

import java.util.List;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A value that does not satisfy its topic's contract. The message lists every violation as
 * {@code <json path>: <rule>}, e.g. {@code $.max_new_tokens: must have a minimum value of 1}.
 */
public final class InvalidRecordException extends SerializationException {

    private final String contract;
    private final List<String> violations;

    InvalidRecordException(String contract, List<String> violations, Throwable cause) {
        super("invalid " + contract + " value: " + String.join("; ", violations), cause);
        this.contract = contract;
        this.violations = List.copyOf(violations);
    }

    /** Which schema was violated, e.g. {@code kaption.requests/v1}. */
    public String contract() {
        return contract;
    }

    /** One entry per violated rule, each naming the field. */
    public List<String> violations() {
        return violations;
    }
}
