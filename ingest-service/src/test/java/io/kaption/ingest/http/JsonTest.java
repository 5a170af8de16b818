package io.kaption.ingest.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonTest {

    @Test
    void aStringLongerThanJacksonsDefaultLimitIsRead() {
        // A 15 MiB image is 20,971,520 base64 characters: over Jackson's default of 20,000,000 per string, under the
        // image byte cap (20 MiB) and the body cap. Only the body cap bounds what a request may hold.
        String payload = "A".repeat(20_971_520);
        ObjectNode parsed = Json.parseObject(("{\"image_url\":\"data:image/png;base64," + payload + "\"}")
                .getBytes(StandardCharsets.US_ASCII), "the request body");

        assertThat(parsed.get("image_url").textValue()).hasSize("data:image/png;base64,".length() + payload.length());
    }

    @Test
    void aNumberBeyondTheRangeOfADoubleIsRefusedNamingWhereItIs() {
        // Read as a double it would be Infinity, which no JSON writer can put back: the published record would carry
        // "Infinity" as a string, which the contract refuses, and the request would never be answered.
        assertThatThrownBy(() -> Json.parseObject("{\"text\":\"a\",\"json_schema\":{\"maximum\":[1,-1e400]}}"
                .getBytes(StandardCharsets.US_ASCII), "the request body"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("invalid_json");
                    assertThat(e.getMessage()).isEqualTo("the request body holds a number beyond the range of a "
                            + "double at $.json_schema.maximum[1]");
                });
    }

    /**
     * Found by RequestBodiesFuzzTest: Jackson takes a body starting with 00 00 00 xx for UTF-32, and one that is no
     * valid UTF-32 failed with a CharConversionException, which reached the client as a 500.
     */
    @Test
    void aBodyThatLooksLikeUtf32ButIsNotIsA400() {
        byte[] body = {0, 0, 0, '"', 'x', '"', ',', '"', 'a', '"', ':', '1', '}'};

        assertThatThrownBy(() -> Json.parseObject(body, "the request body"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("invalid_json");
                    assertThat(e.getMessage()).startsWith("the request body is not valid JSON");
                });
    }

    @Test
    void largeButFiniteNumbersAreKept() {
        ObjectNode parsed = Json.parseObject("{\"a\":1e300,\"b\":123456789012345678901234567890}"
                .getBytes(StandardCharsets.US_ASCII), "the request body");

        assertThat(parsed.get("a").doubleValue()).isEqualTo(1e300);
        assertThat(parsed.get("b").bigIntegerValue()).hasToString("123456789012345678901234567890");
    }
}
