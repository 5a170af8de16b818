package io.kaption.apikeys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeysTest {

    @Test
    void parsesEntriesWithAndWithoutGroups() {
        ApiKeys keys = ApiKeys.parse(" k-abc:primary , k-def:ocr|captions,k-all ");

        assertThat(keys.enabled()).isTrue();
        assertThat(keys.size()).isEqualTo(3);
        assertThat(keys.authenticate("k-abc")).map(ApiKey::groups).contains(Set.of("primary"));
        assertThat(keys.authenticate("k-def")).map(ApiKey::groups).contains(Set.of("ocr", "captions"));
        ApiKey all = keys.authenticate("k-all").orElseThrow();
        assertThat(all.mayUse("anything")).isTrue();
        assertThat(keys.authenticate("k-abc").orElseThrow().mayUse("ocr")).isFalse();
    }

    @Test
    void refusesUnknownEmptyAndPrefixKeys() {
        ApiKeys keys = ApiKeys.parse("k-abc");

        assertThat(keys.authenticate("k-ab")).isEmpty();
        assertThat(keys.authenticate("k-abcd")).isEmpty();
        assertThat(keys.authenticate("")).isEmpty();
        assertThat(keys.authenticate(null)).isEmpty();
    }

    @Test
    void unsetOrBlankMeansNoKeys() {
        assertThat(ApiKeys.parse(null).enabled()).isFalse();
        assertThat(ApiKeys.parse("  ").enabled()).isFalse();
    }

    @Test
    void readsAFileOfEntriesSkippingBlankLinesAndComments(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys");
        Files.writeString(file, "# team keys\nk-one:primary\n\n  k-two  \n");

        ApiKeys keys = ApiKeys.parse("@" + file);

        assertThat(keys.size()).isEqualTo(2);
        assertThat(keys.authenticate("k-two")).isPresent();
    }

    @Test
    void errorsNameTheVariableAndPositionButNeverTheKey(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> ApiKeys.parse("secret-one,secret two"))
                .hasMessage("KAPTION_API_KEYS: entry 2: a key is printable ASCII without spaces, ',', ':', '|' or '#'");
        assertThatThrownBy(() -> ApiKeys.parse("secret-one,,x")).hasMessage("KAPTION_API_KEYS: entry 2 is empty");
        assertThatThrownBy(() -> ApiKeys.parse("secret-one:pri mary"))
                .hasMessageContaining("entry 1").hasMessageNotContaining("secret-one");
        assertThatThrownBy(() -> ApiKeys.parse("secret-one:a,secret-one:b"))
                .hasMessageStartingWith("KAPTION_API_KEYS: entry 2 repeats an earlier key (key-")
                .hasMessageNotContaining("secret-one");
        assertThatThrownBy(() -> ApiKeys.parse("@" + dir.resolve("missing")))
                .hasMessageStartingWith("KAPTION_API_KEYS: cannot read the key file");
        Path empty = Files.writeString(dir.resolve("empty"), "# nothing\n");
        assertThatThrownBy(() -> ApiKeys.parse("@" + empty)).hasMessageContaining("holds no keys");
        assertThat(ApiKeys.parse("secret-one").toString()).doesNotContain("secret-one");
    }

    @Test
    void readsBearerThenXApiKey() {
        assertThat(ApiKeys.presented("Bearer k-1", "k-2")).contains("k-1");
        assertThat(ApiKeys.presented("bearer   k-1 ", null)).contains("k-1");
        assertThat(ApiKeys.presented("Basic abc", "k-2")).contains("k-2");
        assertThat(ApiKeys.presented(null, " k-2 ")).contains("k-2");
        assertThat(ApiKeys.presented("Bearer ", null)).isEmpty();
        assertThat(ApiKeys.presented(null, null)).isEmpty();
    }

    @Test
    void fingerprintIsStableAndShort() {
        assertThat(ApiKeys.fingerprint("k-abc")).isEqualTo(ApiKeys.fingerprint("k-abc")).hasSize(20)
                .startsWith("key-").isNotEqualTo(ApiKeys.fingerprint("k-abd"));
    }

    @Test
    void accessDecides() {
        ApiAccess access = new ApiAccess(ApiKeys.parse("k-abc:primary"), Optional.empty());

        assertThat(access.check(Optional.empty())).isInstanceOfSatisfying(ApiAccess.Decision.Unauthenticated.class,
                d -> assertThat(d.code()).isEqualTo("missing_api_key"));
        assertThat(access.check(Optional.of("nope"))).isInstanceOfSatisfying(
                ApiAccess.Decision.Unauthenticated.class, d -> assertThat(d.code()).isEqualTo("invalid_api_key"));
        assertThat(access.check(Optional.of("k-abc"))).isInstanceOfSatisfying(ApiAccess.Decision.Admitted.class,
                d -> assertThat(d.key()).map(ApiKey::fingerprint).contains(ApiKeys.fingerprint("k-abc")));
        assertThat(ApiAccess.open().check(Optional.empty())).isInstanceOfSatisfying(
                ApiAccess.Decision.Admitted.class, d -> assertThat(d.key()).isEmpty());
    }

    @Test
    void fromEnvironment() {
        assertThat(ApiAccess.fromEnvironment(java.util.Map.of()).enabled()).isFalse();
        ApiAccess access = ApiAccess.fromEnvironment(java.util.Map.of("KAPTION_API_KEYS", "k-1",
                "KAPTION_API_RATE_LIMIT", "2.5"));
        assertThat(access.rateLimiter()).map(RateLimiter::perSecond).contains(2.5);
        assertThatThrownBy(() -> ApiAccess.fromEnvironment(java.util.Map.of("KAPTION_API_RATE_LIMIT", "5")))
                .hasMessageContaining("needs KAPTION_API_KEYS");
        assertThatThrownBy(() -> ApiAccess.fromEnvironment(java.util.Map.of("KAPTION_API_KEYS", "k-1",
                "KAPTION_API_RATE_LIMIT", "fast"))).hasMessageContaining("KAPTION_API_RATE_LIMIT");
        assertThatThrownBy(() -> ApiAccess.fromEnvironment(java.util.Map.of("KAPTION_API_KEYS", "k-1",
                "KAPTION_API_RATE_LIMIT", "0"))).hasMessageContaining("positive");
    }
}
