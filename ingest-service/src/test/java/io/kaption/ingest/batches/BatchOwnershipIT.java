package io.kaption.ingest.batches;

import static io.kaption.ingest.support.IngestFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.apikeys.ApiKeys;
import io.kaption.ingest.support.IngestFixture;
import io.kaption.ingest.support.Multipart;
import io.kaption.localstack.junit.SharedInfrastructure;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * With API keys, files and batches belong to the key that created them, on a real ingest service over HTTP: another
 * key gets the same 404 as for one that does not exist, does not see them in lists, cannot run a batch on another
 * key's file nor cancel another key's batch; a request without a key gets 401.
 */
@ExtendWith(SharedInfrastructure.class)
class BatchOwnershipIT {

    private static final String MINE = "k-mine-" + UUID.randomUUID();
    private static final String OTHER = "k-other-" + UUID.randomUUID();
    private static IngestFixture ingest;

    @BeforeAll
    static void start() {
        ingest = IngestFixture.start("batch-keys", Map.of(ApiKeys.VARIABLE, MINE + "," + OTHER,
                "KAPTION_FILES_URI", "s3://it-batch-files-" + UUID.randomUUID().toString().substring(0, 8) + "/f"));
        await().atMost(IngestFixture.WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> ingest.get("/readyz").statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        ingest.close();
    }

    @Test
    void filesAndBatchesAreSeenOnlyByTheirKey() {
        String line = "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\""
                + ingest.group() + "\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}}\n";
        HttpResponse<String> uploaded = send(MINE, ingest.multipartRequest("/v1/files", IngestFixture.newRequestId(),
                new Multipart().field("purpose", "batch").file("file", "in.jsonl",
                        line.getBytes(StandardCharsets.UTF_8))));
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
        String fileId = json(uploaded.body()).get("id").asText();

        assertThat(get(MINE, "/v1/files/" + fileId).statusCode()).isEqualTo(200);
        assertThat(get(OTHER, "/v1/files/" + fileId).statusCode()).isEqualTo(404);
        assertThat(get(OTHER, "/v1/files/" + fileId + "/content").statusCode()).isEqualTo(404);
        assertThat(ids(get(OTHER, "/v1/files"))).doesNotContain(fileId);
        assertThat(ids(get(MINE, "/v1/files"))).contains(fileId);
        assertThat(get(null, "/v1/files").statusCode()).isEqualTo(401);

        String create = "{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"/v1/chat/completions\","
                + "\"completion_window\":\"24h\"}";
        HttpResponse<String> foreign = send(OTHER, ingest.jsonRequest("/v1/batches", IngestFixture.newRequestId(),
                create));
        assertThat(foreign.statusCode()).isEqualTo(404);
        assertThat(json(foreign.body()).get("error").get("code").asText()).isEqualTo("file_not_found");
        HttpResponse<String> created = send(MINE, ingest.jsonRequest("/v1/batches", IngestFixture.newRequestId(),
                create));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        JsonNode batch = json(created.body());
        assertThat(batch.get("status").asText()).isEqualTo("in_progress");
        String batchId = batch.get("id").asText();

        assertThat(get(OTHER, "/v1/batches/" + batchId).statusCode()).isEqualTo(404);
        assertThat(ids(get(OTHER, "/v1/batches"))).doesNotContain(batchId);
        assertThat(ids(get(MINE, "/v1/batches"))).contains(batchId);
        assertThat(send(OTHER, ingest.jsonRequest("/v1/batches/" + batchId + "/cancel",
                IngestFixture.newRequestId(), "")).statusCode()).isEqualTo(404);
        HttpResponse<String> cancelled = send(MINE, ingest.jsonRequest("/v1/batches/" + batchId + "/cancel",
                IngestFixture.newRequestId(), ""));
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        assertThat(json(cancelled.body()).get("status").asText()).isEqualTo("cancelling");

        assertThat(send(OTHER, ingest.jsonRequest("/v1/files/" + fileId, IngestFixture.newRequestId(), "")
                .method("DELETE", HttpRequest.BodyPublishers.noBody())).statusCode()).isEqualTo(404);
        assertThat(get(MINE, "/v1/files/" + fileId).statusCode()).as("still there").isEqualTo(200);
    }

    private static HttpResponse<String> get(String key, String path) {
        return send(key, HttpRequest.newBuilder(ingest.uri(path)).timeout(IngestFixture.WAIT).GET());
    }

    private static HttpResponse<String> send(String key, HttpRequest.Builder request) {
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return ingest.send(request);
    }

    private static java.util.List<String> ids(HttpResponse<String> list) {
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        java.util.List<String> ids = new java.util.ArrayList<>();
        json(list.body()).get("data").forEach(item -> ids.add(item.get("id").asText()));
        return ids;
    }
}
