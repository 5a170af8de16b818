package io.kaption.ingest.http;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorShapeTest {

    @Test
    void kaptionsShapeIsCodeAndMessage() {
        assertThat(Json.write(ErrorShape.KAPTION.body(422, "invalid_request", "bad")))
                .isEqualTo("{\"error\":{\"code\":\"invalid_request\",\"message\":\"bad\"}}");
    }

    @Test
    void openAisShapeAddsTypeAndParam() {
        assertThat(Json.write(ErrorShape.OPENAI.body(400, "invalid_request", "bad")))
                .isEqualTo("{\"error\":{\"code\":\"invalid_request\",\"message\":\"bad\",\"type\":\"invalid_request_error\","
                        + "\"param\":null}}");
        assertThat(Json.write(ErrorShape.OPENAI.body(503, "kafka_unavailable", "down")))
                .isEqualTo("{\"error\":{\"code\":\"kafka_unavailable\",\"message\":\"down\",\"type\":\"server_error\","
                        + "\"param\":null}}");
    }
}
