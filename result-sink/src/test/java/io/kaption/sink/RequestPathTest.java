package io.kaption.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RequestPathTest {

    @Test
    void namesTheResultOrTheEventsOfARequest() {
        assertThat(RequestPath.parse("/v1/requests/req-1")).isEqualTo(new RequestPath("req-1", false));
        assertThat(RequestPath.parse("/v1/requests/req-1/events")).isEqualTo(new RequestPath("req-1", true));
        assertThat(RequestPath.parse("/v1/requests/events")).isEqualTo(new RequestPath("events", false));
    }

    @Test
    void decodesTheIdAsAPathSegment() {
        assertThat(RequestPath.parse("/v1/requests/job%207%2Frec+42/events"))
                .isEqualTo(new RequestPath("job 7/rec+42", true));
    }

    @Test
    void otherPathsNameNoRequest() {
        assertThat(RequestPath.parse("/v1/requests/")).isNull();
        assertThat(RequestPath.parse("/v1/requests//events")).isNull();
        assertThat(RequestPath.parse("/v1/requests/a/b")).isNull();
        assertThat(RequestPath.parse("/v1/requests/a/events/more")).isNull();
        assertThat(RequestPath.parse("/healthz")).isNull();
    }

    @Test
    void rejectsBadEncodingAndOverlongIds() {
        assertThatThrownBy(() -> RequestPath.parse("/v1/requests/%zz")).isInstanceOf(IllegalArgumentException.class);
        assertThat(RequestPath.parse("/v1/requests/" + "x".repeat(256))).isNotNull();
        assertThatThrownBy(() -> RequestPath.parse("/v1/requests/" + "x".repeat(257)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a request id has at most 256 characters");
    }

    @Test
    void countsCharactersAsTheContractDoesInCodePoints() {
        String emoji = "\uD83D\uDE00"; // one character, two UTF-16 units; %F0%9F%98%80 in a URL
        assertThat(RequestPath.parse("/v1/requests/" + "%F0%9F%98%80".repeat(256)))
                .isEqualTo(new RequestPath(emoji.repeat(256), false));
        assertThatThrownBy(() -> RequestPath.parse("/v1/requests/" + "%F0%9F%98%80".repeat(257)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a request id has at most 256 characters");
    }
}
