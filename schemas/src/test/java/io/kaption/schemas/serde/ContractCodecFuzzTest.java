package io.kaption.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.List;

/**
 * The Kafka record decoder of every topic a producer outside Kaption may write to (requests, jobs, cancellations),
 * plain JSON and Confluent-framed alike: whatever the bytes, decoding returns a value or an
 * {@link InvalidRecordException} (which sends the record to its DLQ), never any other exception. The first byte picks
 * the topic; the rest is the record value. Under {@code mvn verify} this replays the committed corpus in
 * {@code ContractCodecFuzzTestInputs/}; {@code tools/fuzz/run} fuzzes it.
 */
class ContractCodecFuzzTest {

    private static final List<ContractCodec<?>> INGRESS =
            List.of(ContractCodec.REQUESTS, ContractCodec.JOBS, ContractCodec.CANCELLATIONS);

    @FuzzTest(maxDuration = "60s")
    void decodeNeverThrowsAnythingButInvalidRecord(byte[] data) {
        if (data.length == 0) {
            return;
        }
        ContractCodec<?> codec = INGRESS.get(Math.floorMod(data[0], INGRESS.size()));
        byte[] value = Arrays.copyOfRange(data, 1, data.length);
        DecodeResult<?> result = codec.tryDecode(value);
        if (result instanceof DecodeResult.Valid<?> valid) {
            // What is admitted can be written back: a consumer that re-publishes it (retry, DLQ replay) never fails.
            @SuppressWarnings("unchecked")
            ContractCodec<Object> same = (ContractCodec<Object>) codec;
            assertThat(same.encode(valid.value())).isNotEmpty();
        } else {
            assertThat(((DecodeResult.Invalid<?>) result).reason()).startsWith("invalid " + codec.name());
        }
    }
}
