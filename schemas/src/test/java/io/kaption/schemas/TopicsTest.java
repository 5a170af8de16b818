package io.kaption.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void namesTheTopicsOfTheContract() {
        assertThat(Topics.requests("primary")).isEqualTo("kaption.requests.primary");
        assertThat(Topics.requests("Batch_2.eu-west")).isEqualTo("kaption.requests.Batch_2.eu-west");
        assertThat(Topics.TOKENS).isEqualTo("kaption.tokens");
        assertThat(Topics.RESULTS).isEqualTo("kaption.results");
        assertThat(Topics.dlq(Topics.requests("primary"))).isEqualTo("kaption.requests.primary.dlq");
        assertThat(Topics.dlq(Topics.RESULTS)).isEqualTo("kaption.results.dlq");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"has space", "a/b", "ünïcode", "semi;colon", "star*"})
    void rejectsConsumerGroupsThatWouldNotMakeALegalTopicName(String group) {
        assertThat(Topics.isValidConsumerGroup(group)).isFalse();
        assertThatThrownBy(() -> Topics.requests(group))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("consumer_group must be 1 to 228 characters of [a-zA-Z0-9._-]");
    }

    @Test
    void limitsTheConsumerGroupSoThatItsDeadLetterTopicStaysLegal() {
        String longest = "g".repeat(Topics.MAX_CONSUMER_GROUP_LENGTH);
        assertThat(Topics.dlq(Topics.requests(longest))).hasSize(249);
        assertThat(Topics.isValidConsumerGroup(longest + "g")).isFalse();
    }

    @Test
    void namesTheWorkersConsumerGroups() {
        assertThat(Topics.workerGroup("primary")).isEqualTo("kaption-worker-primary");
        assertThatThrownBy(() -> Topics.workerGroup("a b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsADeadLetterTopicForAnIllegalName() {
        assertThatThrownBy(() -> Topics.dlq("not a topic")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bulkLanesFitEveryLegalConsumerGroup() {
        assertThat(Topics.bulkRequests("primary")).isEqualTo("kaption.bulk.primary");
        String longest = "g".repeat(Topics.MAX_CONSUMER_GROUP_LENGTH);
        assertThat(Topics.dlq(Topics.bulkRequests(longest))).endsWith(".dlq");
        assertThatThrownBy(() -> Topics.bulkRequests("a/b")).isInstanceOf(IllegalArgumentException.class);
    }
}
