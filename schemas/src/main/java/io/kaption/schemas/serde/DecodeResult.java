package io.kaption.schemas.serde;

/**
 * What decoding one Kafka value gave: the value, or why it was rejected. Lets a consumer reading raw bytes route a
 * bad record to its dead-letter topic and carry on, instead of failing inside {@code poll()} on it forever.
 */
public sealed interface DecodeResult<T> {

    record Valid<T>(T value) implements DecodeResult<T> {}

    record Invalid<T>(InvalidRecordException error) implements DecodeResult<T> {
        /** The operator-readable reason, naming the fields and rules that failed. */
        public String reason() {
            return error.getMessage();
        }
    }
}
