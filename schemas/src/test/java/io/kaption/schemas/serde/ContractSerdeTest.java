package io.kaption.schemas.serde;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.Texts;
import io.kaption.schemas.Topics;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;

class ContractSerdeTest {

    private final GenerationRequest request =
            GenerationRequest.builder("req-1", Texts.of("Describe it."), "s3://kaption-inputs/cats/1.jpg").build();

    @Test
    void withoutARegistryWritesPlainJson() {
        try (ContractSerializer<GenerationRequest> serializer = new ContractSerializer<>(ContractCodec.REQUESTS)) {
            serializer.configure(Map.of(), false);
            byte[] bytes = serializer.serialize(Topics.requests("primary"), new RecordHeaders(), request);
            assertThat(new String(bytes, UTF_8)).startsWith("{\"request_id\":\"req-1\",\"text\":\"Describe it.\"");
            assertThat(bytes).isEqualTo(ContractCodec.REQUESTS.encode(request));
        }
    }

    @Test
    void refusesToWriteAnInvalidOrNullValue() {
        try (ContractSerializer<GenerationRequest> serializer = new ContractSerializer<>(ContractCodec.REQUESTS)) {
            GenerationRequest invalid = request.toBuilder().maxNewTokens(0).build();
            assertThatThrownBy(() -> serializer.serialize("kaption.requests.primary", invalid))
                    .isInstanceOf(InvalidRecordException.class)
                    .hasMessage("invalid kaption.requests/v1 value: $.max_new_tokens: must have a minimum value of 1");
            assertThatThrownBy(() -> serializer.serialize("kaption.requests.primary", null))
                    .isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining("$: the value is null");
        }
    }

    @Test
    void readsPlainAndConfluentFramedValuesAsOneSerde() {
        Serde<GenerationRequest> serde = Serdes.serdeFrom(
                new ContractSerializer<>(ContractCodec.REQUESTS), new ContractDeserializer<>(ContractCodec.REQUESTS));
        byte[] plain = serde.serializer().serialize("t", request);
        assertThat(serde.deserializer().deserialize("t", plain)).isEqualTo(request);
        assertThat(serde.deserializer().deserialize("t", ConfluentFrame.frame(42, plain))).isEqualTo(request);
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", "not json".getBytes(UTF_8)))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("$: not valid JSON: Unrecognized token 'not'");
    }
}
