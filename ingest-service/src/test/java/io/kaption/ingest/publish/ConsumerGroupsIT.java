package io.kaption.ingest.publish;

import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(SharedInfrastructure.class)
class ConsumerGroupsIT {

    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        private Instant now = Instant.parse("2026-11-23T12:00:00Z");

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    @Test
    void answersAreCachedAndExpiredAnswersDoNotPileUp() {
        // Every consumer_group (and chat model) a client names is looked up and cached: names that were asked once
        // must not stay in memory for good, or a client naming ever new groups grows the cache without bound.
        SharedInfrastructure.createTopic(Topics.requests("it-groups"), 1);
        ManualClock clock = new ManualClock();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                SharedInfrastructure.kafkaBootstrapServers()))) {
            ConsumerGroups groups = new ConsumerGroups(admin, Duration.ofSeconds(30), clock);

            assertThat(groups.cachedAnswer("it-groups")).isEmpty(); // never looked up: only a look-up can tell
            assertThat(groups.exists("it-groups")).isTrue();
            assertThat(groups.cachedAnswer("it-groups")).contains(true);
            for (int i = 0; i < 50; i++) {
                assertThat(groups.exists("it-no-such-group-" + i)).isFalse();
            }
            assertThat(groups.cachedAnswers()).isEqualTo(51);
            assertThat(groups.cachedAnswer("it-no-such-group-0")).contains(false);
            clock.advance(ConsumerGroups.MISSING_TTL.plusSeconds(1));
            assertThat(groups.cachedAnswer("it-no-such-group-0")).isEmpty(); // expired: a pool may have started since
            assertThat(groups.cachedAnswer("it-groups")).contains(true);

            clock.advance(ConsumerGroups.EXISTING_TTL.plusSeconds(1));
            assertThat(groups.exists("it-no-such-group-x")).isFalse();
            assertThat(groups.cachedAnswers()).isEqualTo(1);
        }
    }
}
