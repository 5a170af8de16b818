package io.kaption.cli.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The ingest service's job API over HTTP. Every call answers the job JSON ({@code kaption.job-status/v1}) or a list
 * of them, or throws {@link ApiError}.
 */
public final class JobApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final String baseUrl;
    private final String apiKey;
    private final HttpClient http;

    public JobApi(String baseUrl) {
        this(baseUrl, null);
    }

    /** @param apiKey sent as {@code Authorization: Bearer}; null when the ingest service runs without API keys */
    public JobApi(String baseUrl, String apiKey) {
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .build();
    }

    /** An answer of the API: its status (201 for a new job, 200 for an existing one) and JSON body. */
    public record Answer(int status, JsonNode body) {
    }

    /** {@code POST /v1/jobs}. */
    public Answer submit(ObjectNode submission) {
        return call(request("/v1/jobs").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(submission.toString())));
    }

    /** {@code GET /v1/jobs/{id}}. */
    public Answer get(String jobId) {
        return call(request("/v1/jobs/" + encode(jobId)).GET());
    }

    /** {@code GET /v1/jobs?limit=&after=}: newest first; {@code after} may be null. */
    public Answer list(int limit, String after) {
        String query = "?limit=" + limit + (after == null ? "" : "&after=" + encode(after));
        return call(request("/v1/jobs" + query).GET());
    }

    /** {@code POST /v1/jobs/{id}/cancel}. */
    public Answer cancel(String jobId) {
        return call(request("/v1/jobs/" + encode(jobId) + "/cancel").POST(HttpRequest.BodyPublishers.noBody()));
    }

    private HttpRequest.Builder request(String path) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                    .timeout(CALL_TIMEOUT)
                    .header("Accept", "application/json");
            return apiKey == null ? request : request.header("Authorization", "Bearer " + apiKey);
        } catch (IllegalArgumentException e) {
            throw ApiError.unreachable(baseUrl, e);
        }
    }

    private Answer call(HttpRequest.Builder request) {
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw ApiError.unreachable(baseUrl, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.unreachable(baseUrl, e);
        }
        if (response.statusCode() >= 400) {
            throw ApiError.fromResponse(response.statusCode(), response.body());
        }
        try {
            JsonNode body = JSON.readTree(response.body());
            if (body == null || !body.isObject()) {
                throw ApiError.unexpectedAnswer(response.statusCode(), "expected a JSON object, got: " + response.body());
            }
            return new Answer(response.statusCode(), body);
        } catch (IOException e) {
            throw ApiError.unexpectedAnswer(response.statusCode(), "not JSON: " + response.body());
        }
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
