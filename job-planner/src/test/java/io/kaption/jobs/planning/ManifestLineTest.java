package io.kaption.jobs.planning;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ManifestLineTest {

    @Test
    void takesTheIdFieldsInOrderOfPrecedence() {
        assertThat(ManifestLine.parse("{\"custom_id\":\"c\",\"record_id\":\"r\",\"image_url\":\"s3://b/k\"}", 1)
                .recordId()).isEqualTo("r");
        assertThat(ManifestLine.parse("{\"recordId\":\"x\",\"custom_id\":\"c\",\"image_url\":\"s3://b/k\"}", 1)
                .recordId()).isEqualTo("c");
        assertThat(ManifestLine.parse("{\"recordId\":\"x\",\"image_url\":\"s3://b/k\"}", 1).recordId())
                .isEqualTo("x");
        assertThat(ManifestLine.parse("{\"record_id\":42,\"image_url\":\"s3://b/k\"}", 1).recordId())
                .isEqualTo("42");
    }

    @Test
    void namesALineWithoutIdByItsLineNumber() {
        ManifestLine line = ManifestLine.parse("{\"image_url\":\"s3://b/k\"}", 7);
        assertThat(line).isEqualTo(new ManifestLine.Entry("line-7", "s3://b/k",
                (com.fasterxml.jackson.databind.node.ObjectNode) ManifestLine.MAPPER.createObjectNode()));
    }

    @Test
    void keepsTheLinesOwnFieldsAsOverridesWithoutIdsAndImage() throws Exception {
        ManifestLine line = ManifestLine.parse("{\"custom_id\":\"c\",\"recordId\":\"ignored\",\"image_url\":"
                + "\"https://img.example/1.png\",\"text\":\"Own prompt\",\"max_new_tokens\":7}", 3);
        assertThat(line).isInstanceOf(ManifestLine.Entry.class);
        ManifestLine.Entry entry = (ManifestLine.Entry) line;
        assertThat(entry.imageUrl()).isEqualTo("https://img.example/1.png");
        assertThat(ManifestLine.MAPPER.writeValueAsString(entry.overrides()))
                .isEqualTo("{\"text\":\"Own prompt\",\"max_new_tokens\":7}");
    }

    @Test
    void aConversationLineNeedsNoImageUrl() throws Exception {
        ManifestLine line = ManifestLine.parse("{\"custom_id\":\"c\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"Hi\"}],\"image_urls\":[\"s3://b/1.png\"]}", 4);
        assertThat(line).isInstanceOfSatisfying(ManifestLine.Entry.class, entry -> {
            assertThat(entry.recordId()).isEqualTo("c");
            assertThat(entry.imageUrl()).isNull();
            assertThat(entry.overrides().has("messages")).isTrue();
            assertThat(entry.overrides().get("image_urls").get(0).asText()).isEqualTo("s3://b/1.png");
        });
    }

    @Test
    void refusesWhatCannotBeARecord() {
        assertThat(ManifestLine.parse("not json", 2)).isInstanceOfSatisfying(ManifestLine.Refused.class, r -> {
            assertThat(r.recordId()).isEqualTo("line-2");
            assertThat(r.imageUrl()).isNull();
            assertThat(r.reason()).startsWith("line 2 is not valid JSON");
        });
        assertThat(ManifestLine.parse("[1,2]", 3)).isEqualTo(
                new ManifestLine.Refused("line-3", null, "line 3 is not a JSON object"));
        assertThat(ManifestLine.parse("{\"a\":1} {\"b\":2}", 4)).isInstanceOf(ManifestLine.Refused.class);
        assertThat(ManifestLine.parse("{\"record_id\":\"r\",\"text\":\"x\"}", 5)).isEqualTo(
                new ManifestLine.Refused("r", null, "line 5: image_url is required (a non-empty string) unless the line is a conversation (messages)"));
        assertThat(ManifestLine.parse("{\"record_id\":\"r\",\"image_url\":7}", 6))
                .isInstanceOf(ManifestLine.Refused.class);
        assertThat(ManifestLine.parse("{\"record_id\":{},\"image_url\":\"s3://b/k\"}", 8)).isEqualTo(
                new ManifestLine.Refused("line-8", "s3://b/k", "line 8: record_id must be a non-empty string"));
        assertThat(ManifestLine.parse("{\"record_id\":\"r\",\"image_url\":\"s3://b/k\",\"stream\":true,"
                + "\"job_id\":\"j\"}", 9)).isEqualTo(new ManifestLine.Refused("r", "s3://b/k",
                "line 9: job_id, stream are set by the job, not by a manifest line"));
        assertThat(ManifestLine.parse("{\"record_id\":\"r\",\"record_id\":\"s\",\"image_url\":\"s3://b/k\"}", 10))
                .isInstanceOf(ManifestLine.Refused.class);
    }
}
