package io.kaption.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.List;

/**
 * The Kafka record decoder against any bytes (coverage-guided, Jazzer): plain JSON or the Confluent frame, for every
 * topic's codec. A value either decodes or is rejected with {@link InvalidRecordException} (a dead-letter reason);
 * anything else thrown would stop a consumer on a poison record. A decoded value must encode again.
 *
 * <p>{@code mvn verify} replays the corpus under {@code src/test/resources/.../RecordDecoderFuzzTestInputs}; fuzzing
 * ({@code JAZZER_FUZZ=1}) is the separate run described in {@code docs/RELIABILITY.md}.
 */
class RecordDecoderFuzzTest {

    private static final List<ContractCodec<?>> CODECS = List.of(ContractCodec.REQUESTS, ContractCodec.TOKENS,
            ContractCodec.RESULTS, ContractCodec.CANCELLATIONS, ContractCodec.JOBS, ContractCodec.JOB_PLANS,
            ContractCodec.JOB_RECORDS, ContractCodec.JOB_OUTPUTS, ContractCodec.JOB_STATUS);

    /** The first byte picks the topic's codec; the rest is the record value (a leading 0 byte is a Confluent frame). */
    @FuzzTest(maxExecutions = 20_000)
    void aRecordValueDecodesOrIsRejected(byte[] input) {
        if (input.length == 0) {
            return;
        }
        reencode(CODECS.get(Byte.toUnsignedInt(input[0]) % CODECS.size()), Arrays.copyOfRange(input, 1, input.length));
    }

    private static <T> void reencode(ContractCodec<T> codec, byte[] value) {
        DecodeResult<T> decoded = codec.tryDecode(value);
        assertThat(decoded).isNotNull();
        if (decoded instanceof DecodeResult.Valid<T> valid) {
            assertThat(codec.encode(valid.value())).isNotEmpty();
        }
    }
}
