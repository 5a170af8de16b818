package io.kaption.ingest.http;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestIdsTest {

    @Test
    void aUsableClientIdIsKept() {
        assertThat(RequestIds.fromHeader(Optional.of(" job-7:rec_42.a "))).isEqualTo("job-7:rec_42.a");
        assertThat(RequestIds.fromHeader(Optional.of("x".repeat(128)))).hasSize(128);
        assertThat(RequestIds.fromHeader(Optional.of("..."))).isEqualTo("...");
    }

    @Test
    void withoutOneAUuidIsMade() {
        assertThat(RequestIds.fromHeader(Optional.empty()))
                .matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
                .isNotEqualTo(RequestIds.fromHeader(Optional.empty()));
    }

    @Test
    void idsThatCannotBeKeysOrPathsAreRefused() {
        // "." and ".." are dot segments: clients resolve the sink's .../v1/requests/../events to /v1/events.
        for (String bad : new String[] {"", "a/b", "a b", "../x", "x".repeat(129), "ü", ".", ".."}) {
            assertThatThrownBy(() -> RequestIds.fromHeader(Optional.of(bad)))
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.code()).isEqualTo("invalid_request_id");
                    });
        }
    }
}
