package io.kaption.ingest.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PageLimitTest {

    @Test
    void absentOrEmptyIsTheFallbackAndAWholeNumberInRangeIsItself() {
        assertThat(PageLimit.parse(null, 20, 100)).isEqualTo(20);
        assertThat(PageLimit.parse("", 20, 100)).isEqualTo(20);
        assertThat(PageLimit.parse("1", 20, 100)).isEqualTo(1);
        assertThat(PageLimit.parse(" 100 ", 20, 100)).isEqualTo(100);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "101", "-1", "ten", "1.5", " "})
    void anythingElseIs400InvalidLimitNamingTheRange(String value) {
        assertThatThrownBy(() -> PageLimit.parse(value, 20, 100))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("invalid_limit");
                    assertThat(e.getMessage())
                            .isEqualTo("limit must be a whole number from 1 to 100, got '" + value + "'");
                });
    }
}
