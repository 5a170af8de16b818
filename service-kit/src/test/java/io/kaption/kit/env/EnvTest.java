package io.kaption.kit.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EnvTest {

    private static Env env(String name, String value) {
        return Env.of(Map.of(name, value));
    }

    @Test
    void blankCountsAsUnsetAndValuesAreStripped() {
        Env env = Env.of(Map.of("A", "  ", "B", " b "));
        assertThat(env.string("A")).isEmpty();
        assertThat(env.string("A", "fallback")).isEqualTo("fallback");
        assertThat(env.string("B")).contains("b");
        assertThat(env.string("C")).isEmpty();
    }

    @Test
    void numbers() {
        assertThat(env("N", " 42 ").integer("N", 1)).isEqualTo(42);
        assertThat(Env.of(Map.of()).integer("N", 7)).isEqualTo(7);
        assertThat(env("N", "5000000000").longInteger("N", 1)).isEqualTo(5_000_000_000L);
        assertThatThrownBy(() -> env("N", "12x").integer("N"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("N must be a whole number, got '12x'");
        assertThatThrownBy(() -> env("N", "5000000000").integer("N"))
                .hasMessage("N must be a whole number, got '5000000000'");
        assertThatThrownBy(() -> env("N", "lots").longInteger("N"))
                .hasMessage("N must be a whole number, got 'lots'");
    }

    @Test
    void integersInARange() {
        assertThat(env("P", "0").integerIn("P", 3, 0, 65535)).isZero();
        assertThat(Env.of(Map.of()).integerIn("P", 3, 0, 65535)).isEqualTo(3);
        assertThatThrownBy(() -> env("P", "70000").integerIn("P", 3, 0, 65535))
                .hasMessage("P must be an integer from 0 to 65535, got '70000'");
        assertThatThrownBy(() -> env("P", "port").integerIn("P", 3, 0, 65535))
                .hasMessage("P must be an integer from 0 to 65535, got 'port'");
    }

    @Test
    void booleans() {
        assertThat(env("B", "TRUE").bool("B", false)).isTrue();
        assertThat(env("B", "false").bool("B", true)).isFalse();
        assertThat(Env.of(Map.of()).bool("B", true)).isTrue();
        assertThatThrownBy(() -> env("B", "yes").bool("B", true))
                .hasMessage("B must be true or false, got 'yes'");
    }

    @Test
    void durations() {
        assertThat(env("D", "250").millis("D", Duration.ZERO)).isEqualTo(Duration.ofMillis(250));
        assertThat(env("D", "3").seconds("D", Duration.ZERO)).isEqualTo(Duration.ofSeconds(3));
        assertThat(Env.of(Map.of()).seconds("D", Duration.ofMinutes(1))).isEqualTo(Duration.ofMinutes(1));
        assertThatThrownBy(() -> env("D", "1s").millis("D")).hasMessage("D must be a whole number, got '1s'");
    }

    @Test
    void uris() {
        assertThat(env("U", "s3://bucket/key").uri("U")).contains(URI.create("s3://bucket/key"));
        assertThatThrownBy(() -> env("U", "a b").uri("U")).hasMessage("U must be a URI, got 'a b'");
        assertThat(env("U", "http://sink:3002/").httpUrl("U")).contains(URI.create("http://sink:3002"));
        assertThatThrownBy(() -> env("U", "sink:3002").httpUrl("U"))
                .hasMessage("U must be an http(s) URL, got 'sink:3002'");
        assertThatThrownBy(() -> env("U", "ftp://sink").httpUrl("U"))
                .hasMessage("U must be an http(s) URL, got 'ftp://sink'");
    }

    @Test
    void enumsByNameInAnyCase() {
        assertThat(env("E", "seconds").enumValue("E", TimeUnit.class)).contains(TimeUnit.SECONDS);
        assertThatThrownBy(() -> Env.of(Map.of("E", "bf16")).enumValue("E", Precision.class))
                .hasMessage("E must be float32 or float16, got 'bf16'");
        assertThatThrownBy(() -> Env.of(Map.of("E", "x")).enumValue("E", Mode.class))
                .hasMessage("E must be a, b or c, got 'x'");
    }

    @Test
    void lists() {
        assertThat(env("L", " a, b ,,c ").list("L")).containsExactly("a", "b", "c");
        assertThat(Env.of(Map.of()).list("L")).isEqualTo(List.of());
    }

    @Test
    void parsedValuesGetTheNameInTheirError() {
        assertThatThrownBy(() -> env("X", "v").parsed("X", v -> {
            throw new IllegalArgumentException("bad host 'v'");
        })).hasMessage("X: bad host 'v'");
    }

    @Test
    void checks() {
        assertThatThrownBy(() -> Env.requirePositive("N", 0)).hasMessage("N must be positive, got 0");
        assertThatThrownBy(() -> Env.requireAtLeastOne("N", 0)).hasMessage("N must be at least 1, got 0");
        Env.requirePositive("N", 1);
        Env.requireAtLeastOne("N", 1);
    }

    private enum Precision { FLOAT32, FLOAT16 }

    private enum Mode { A, B, C }
}
