package io.kaption.ingest.batches;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.http.Json;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class BatchInputTest {

    private static final Function<Optional<String>, String> GROUPS =
            model -> model.filter(m -> m.equals("vision")).orElse("primary");

    private static BatchInput parse(String jsonl) {
        return BatchInput.parse(jsonl.getBytes(StandardCharsets.UTF_8), "batch_1", GROUPS);
    }

    private static String line(String customId, String body) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + body + "}\n";
    }

    private static final String IMAGE_BODY = "{\"model\":\"vision\",\"max_tokens\":16,\"temperature\":0,"
            + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
            + "\"s3://photos/1.png\"}},{\"type\":\"text\",\"text\":\"What is this?\"}]}]}";

    @Test
    void aValidLineBecomesAManifestLineWithTheLiveEndpointsTranslation() {
        BatchInput input = parse(line("a", IMAGE_BODY) + "\n");

        assertThat(input.consumerGroup()).isEqualTo("vision");
        assertThat(input.total()).isEqualTo(1);
        assertThat(input.refused()).isEmpty();
        ObjectNode manifest = input.requests().get(0);
        assertThat(manifest.get("custom_id").asText()).isEqualTo("a");
        assertThat(manifest.get("image_urls").toString()).isEqualTo("[\"s3://photos/1.png\"]");
        assertThat(manifest.get("messages").get(0).get("content").toString())
                .isEqualTo("[{\"type\":\"image\",\"index\":0},{\"type\":\"text\",\"text\":\"What is this?\"}]");
        assertThat(manifest.get("max_new_tokens").asInt()).isEqualTo(16);
        assertThat(manifest.get("sampling_topk").asInt()).as("temperature 0 is greedy").isEqualTo(1);
        for (String jobField : new String[] {"request_id", "stream", "consumer_group", "created_at", "image_url"}) {
            assertThat(manifest.has(jobField)).as(jobField).isFalse();
        }
    }

    @Test
    void aBadBodyMethodOrUrlBecomesAnErrorLineUnderItsCustomId() {
        BatchInput input = parse(line("ok", IMAGE_BODY)
                + line("n2", "{\"model\":\"vision\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                + line("nomsg", "{\"model\":\"vision\"}")
                + line("other-model", "{\"model\":\"primary\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                + "{\"custom_id\":\"get\",\"method\":\"GET\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n"
                + "{\"custom_id\":\"url\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{}}\n");

        assertThat(input.total()).isEqualTo(6);
        assertThat(input.requests()).extracting(l -> l.get("custom_id").asText()).containsExactly("ok");
        assertThat(input.refused()).extracting(l -> l.get("custom_id").asText() + " "
                        + l.get("response").get("body").get("error").get("code").asText())
                .containsExactly("n2 unsupported_parameter", "nomsg invalid_request", "other-model model_mismatch",
                        "get invalid_method", "url invalid_url");
        JsonNode refused = input.refused().get(0);
        assertThat(refused.get("id").asText()).isEqualTo(BatchLines.lineId("batch_1", "n2"));
        assertThat(refused.get("response").get("status_code").asInt()).isEqualTo(400);
        assertThat(refused.get("error").isNull()).isTrue();
    }

    @Test
    void linesThatCannotBeToldApartFailTheBatch() {
        assertThatThrownBy(() -> parse(line("x", IMAGE_BODY) + line("x", IMAGE_BODY)))
                .isInstanceOfSatisfying(BatchInput.Invalid.class, e -> {
                    assertThat(e.errors()).hasSize(1);
                    assertThat(e.errors().get(0).get("code").asText()).isEqualTo("duplicate_custom_id");
                    assertThat(e.errors().get(0).get("line").asInt()).isEqualTo(2);
                });
        assertThatThrownBy(() -> parse("not json\n" + "{\"method\":\"POST\"}\n"))
                .isInstanceOfSatisfying(BatchInput.Invalid.class, e -> assertThat(e.errors())
                        .extracting(error -> error.get("code").asText() + "@" + error.get("line").asInt())
                        .containsExactly("invalid_json_line@1", "missing_custom_id@2"));
        assertThatThrownBy(() -> parse("\n\n")).isInstanceOfSatisfying(BatchInput.Invalid.class,
                e -> assertThat(e.errors().get(0).get("code").asText()).isEqualTo("empty_file"));
    }

    @Test
    void lineIdsAreDerivedFromTheBatchAndTheCustomId() {
        assertThat(BatchLines.lineId("batch_1", "a")).isEqualTo(BatchLines.lineId("batch_1", "a"))
                .isNotEqualTo(BatchLines.lineId("batch_2", "a")).matches("batch_req_[0-9a-f]{32}");
        assertThat(Json.write(BatchLines.notRun("batch_1", "a", "batch_expired", "late")))
                .isEqualTo("{\"id\":\"" + BatchLines.lineId("batch_1", "a")
                        + "\",\"custom_id\":\"a\",\"response\":null,\"error\":{\"code\":\"batch_expired\","
                        + "\"message\":\"late\"}}");
    }
}
