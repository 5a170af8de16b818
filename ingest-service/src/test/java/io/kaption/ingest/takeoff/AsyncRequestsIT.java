package io.kaption.ingest.takeoff;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.ingest.support.IngestFixture;
import io.kaption.localstack.junit.SharedInfrastructure;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.util.Map;

import static io.kaption.ingest.support.IngestFixture.json;
import static io.kaption.ingest.support.IngestFixture.newRequestId;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code POST /v1/requests}: published, answered 202 at once with where the result sink serves the request. */
@ExtendWith(SharedInfrastructure.class)
class AsyncRequestsIT {

    private static IngestFixture ingest;
    private static String group;

    @BeforeAll
    static void start() {
        ingest = IngestFixture.start("async", Map.of("KAPTION_SINK_PUBLIC_URL", "https://sink.example.com/"));
        group = ingest.group();
    }

    @AfterAll
    static void stop() {
        ingest.close();
    }

    @Test
    void aSubmittedRequestIsPublishedStreamingAndAnswered202WithTheSinksUrls() {
        String id = newRequestId();
        HttpResponse<String> response = ingest.send(ingest.jsonRequest("/v1/requests", id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\",\"job_id\":\"job-1\"}"));

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.headers().firstValue("Location")).hasValue("https://sink.example.com/v1/requests/" + id);
        assertThat(response.body()).isEqualTo("{\"request_id\":\"" + id + "\","
                + "\"events_url\":\"https://sink.example.com/v1/requests/" + id + "/events\","
                + "\"result_url\":\"https://sink.example.com/v1/requests/" + id + "\"}");
        JsonNode record = ingest.awaitRequest(id);
        assertThat(record.get("stream").booleanValue()).isTrue();
        assertThat(record.get("job_id").textValue()).isEqualTo("job-1");
    }

    @Test
    void aSubmittedRequestMayTurnTokenEventsOff() {
        String id = newRequestId();
        HttpResponse<String> response = ingest.send(ingest.jsonRequest("/v1/requests", id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\",\"stream\":false}"));

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(ingest.awaitRequest(id).get("stream").booleanValue()).isFalse();
    }

    @Test
    void outputUriIsNotForHttpClients() {
        String id = newRequestId();
        HttpResponse<String> response = ingest.send(ingest.jsonRequest("/v1/requests", id,
                "{\"text\":\"Describe it.\",\"consumer_group\":\"" + group + "\","
                        + "\"output_uri\":\"s3://someone-elses-bucket/x.json\"}"));

        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(json(response.body())).isEqualTo(json("{\"error\":{\"code\":\"invalid_request\","
                + "\"message\":\"$.output_uri: cannot be set here\"}}"));
        ingest.assertNothingPublished(id);
    }
}
