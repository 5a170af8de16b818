package io.kaption.ingest.generation;

import static io.kaption.ingest.support.IngestFixture.newRequestId;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kaption.ingest.support.IngestFixture;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.Topics;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code regex_string}, {@code json_schema} and OpenAI's {@code response_format} are compiled at the door: an invalid
 * or unsupported constraint is a 400 naming the reason and nothing is published; a valid one is published as sent.
 */
@ExtendWith(SharedInfrastructure.class)
class ConstraintValidationIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static IngestFixture ingest;
    private static String group;

    @BeforeAll
    static void start() {
        ingest = IngestFixture.start("constraints", Map.of());
        group = ingest.group();
        SharedInfrastructure.createTopic(Topics.requests(Topics.DEFAULT_CONSUMER_GROUP), 1);
    }

    @AfterAll
    static void stop() {
        ingest.close();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '~', value = {
        "/generate ~ \"regex_string\":\"([a-z]+\" ~ regex_string: invalid regular expression: missing ), unterminated subpattern at position 0",
        "/generate ~ \"regex_string\":\"(a)\\\\1\" ~ regex_string: unsupported regular expression: backreferences (at position 4) cannot be compiled to an automaton",
        "/generate ~ \"json_schema\":{\"type\":\"string\",\"format\":\"email\"} ~ json_schema $: keyword 'format' is not supported",
        "/generate ~ \"regex_string\":\"a\",\"json_schema\":{\"type\":\"string\"} ~ set regex_string or json_schema, not both",
        "/v1/requests ~ \"json_schema\":{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"maximum\":9}}} ~ json_schema $.properties.n: keyword 'maximum' is not supported",
    })
    void takeoffFieldsAreRefused(String path, String field, String message) throws Exception {
        String id = newRequestId();
        HttpResponse<String> response = ingest.send(ingest.jsonRequest(path, id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\"," + field + "}"));

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("invalid_request");
        assertThat(error.path("message").asText()).startsWith(message);
        ingest.assertNothingPublished(id);
    }

    @Test
    void anUnsupportedResponseFormatSchemaIsRefusedInOpenAiShape() throws Exception {
        String id = newRequestId();
        HttpResponse<String> response = ingest.send(ingest.jsonRequest("/v1/chat/completions", id, "{\"model\":\""
                + group + "\",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\","
                + "\"strict\":true,\"schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\","
                + "\"pattern\":\"^a\"}},\"required\":[\"a\"],\"additionalProperties\":false}}},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("invalid_request");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText())
                .startsWith("response_format.json_schema.schema $.properties.a: keyword 'pattern' is not supported");
        ingest.assertNothingPublished(id);
    }

    @Test
    void aValidConstraintIsPublishedAsSent() {
        String id = newRequestId();
        HttpResponse<String> response = ingest.send(ingest.jsonRequest("/v1/requests", id,
                "{\"text\":\"Yes or no?\",\"consumer_group\":\"" + group + "\",\"regex_string\":\"(yes|no)\"}"));

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(ingest.awaitRequest(id).get("regex_string").textValue()).isEqualTo("(yes|no)");
    }
}
