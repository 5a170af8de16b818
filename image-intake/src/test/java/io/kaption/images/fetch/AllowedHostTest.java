package io.kaption.images.fetch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class AllowedHostTest {

    @Test
    void parsesHostWithAndWithoutPort() {
        assertThat(AllowedHost.parse("Images.Example.com")).isEqualTo(new AllowedHost("images.example.com", OptionalInt.empty()));
        assertThat(AllowedHost.parse(" cdn.test:8443 ")).isEqualTo(new AllowedHost("cdn.test", OptionalInt.of(8443)));
        assertThat(AllowedHost.parse("127.0.0.1:9000")).isEqualTo(new AllowedHost("127.0.0.1", OptionalInt.of(9000)));
        assertThat(AllowedHost.parse("[::1]:8080")).isEqualTo(new AllowedHost("0:0:0:0:0:0:0:1", OptionalInt.of(8080)));
        assertThat(AllowedHost.parse("[::1]")).isEqualTo(new AllowedHost("0:0:0:0:0:0:0:1", OptionalInt.empty()));
        assertThat(AllowedHost.parse("fd00::7")).isEqualTo(new AllowedHost("fd00:0:0:0:0:0:0:7", OptionalInt.empty()));
    }

    @Test
    void admitsOnlyTheNamedHostAndPort() {
        AllowedHost withPort = AllowedHost.parse("cdn.test:8443");
        assertThat(withPort.admits("CDN.test", 8443)).isTrue();
        assertThat(withPort.admits("cdn.test.", 8443)).isTrue();
        assertThat(withPort.admits("cdn.test", 443)).isFalse();
        assertThat(withPort.admits("evil.cdn.test", 8443)).isFalse();
        assertThat(withPort.admits("cdn.test.evil", 8443)).isFalse();

        AllowedHost anyPort = AllowedHost.parse("cdn.test");
        assertThat(anyPort.admits("cdn.test", 80)).isTrue();
        assertThat(anyPort.admits("cdn.test", 9999)).isTrue();
    }

    @Test
    void comparesIpLiteralsByAddress() {
        AllowedHost loopback = AllowedHost.parse("[::1]:8080");
        assertThat(loopback.admits("[0:0:0:0:0:0:0:1]", 8080)).isTrue();
        assertThat(loopback.admits("[::1]", 8080)).isTrue();
        assertThat(AllowedHost.parse("127.0.0.1").admits("2130706433", 80)).isTrue();
        assertThat(AllowedHost.parse("127.0.0.1").admits("127.0.0.2", 80)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cdn.test:", "cdn.test:http", "cdn.test:0", "cdn.test:70000", "[::1", "[::1]8080", ":80", "[]"})
    void rejectsMalformedEntries(String entry) {
        assertThatIllegalArgumentException().isThrownBy(() -> AllowedHost.parse(entry)).withMessageContaining(entry);
    }
}
