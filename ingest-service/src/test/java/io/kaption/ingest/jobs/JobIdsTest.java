package io.kaption.ingest.jobs;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class JobIdsTest {

    @Test
    void aClientTokenGivesTheSha256OfGroupNewlineTokenCutTo32HexCharacters() {
        // Reference values: python3 -c "import hashlib; print(hashlib.sha256(b'primary\ntoken-1').hexdigest()[:32])"
        assertThat(JobIds.forClientToken("primary", "token-1")).isEqualTo("job-757d2022d780590ab4e1624cf116dc4b");
        assertThat(JobIds.forClientToken("other", "token-1")).isEqualTo("job-0ae01e52fd02ce04dbd2bd690c88c6c2");
    }

    @Test
    void theSameGroupAndTokenAlwaysGiveTheSameId() {
        assertThat(JobIds.forClientToken("g", "t")).isEqualTo(JobIds.forClientToken("g", "t"))
                .isNotEqualTo(JobIds.forClientToken("g", "t2"));
    }

    @Test
    void randomIdsAreJobDash32HexAndDiffer() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            String id = JobIds.random();
            assertThat(id).matches("job-[0-9a-f]{32}");
            ids.add(id);
        }
        assertThat(ids).hasSize(100);
    }
}
