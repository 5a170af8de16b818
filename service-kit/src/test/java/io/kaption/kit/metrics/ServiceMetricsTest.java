package io.kaption.kit.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ServiceMetricsTest {

    @Test
    void everyNameStartsWithKaptionTheJvmsToo() {
        try (ServiceMetrics metrics = ServiceMetrics.create()) {
            metrics.registry().counter("kaption.things").increment();
            metrics.registry().counter("other.things").increment();

            String text = metrics.scrape();
            assertThat(text).contains("kaption_things_total 1.0", "kaption_other_things_total 1.0",
                    "kaption_jvm_memory_used_bytes{", "kaption_process_uptime_seconds");
            assertThat(text.lines().filter(line -> !line.startsWith("#") && !line.isBlank()))
                    .allSatisfy(line -> assertThat(line).startsWith("kaption_"));
        }
    }

    @Test
    void httpRequestsAreHistogramsByRouteMethodAndStatus() {
        try (ServiceMetrics metrics = ServiceMetrics.create()) {
            HttpMetrics http = new HttpMetrics(metrics.registry());
            http.record("/v1/jobs/{id}", "GET", 200, TimeUnit.MILLISECONDS.toNanos(30));
            http.record("/v1/jobs/{id}", "GET", 200, TimeUnit.MILLISECONDS.toNanos(70));
            http.record("/v1/jobs/{id}", "GET", 404, TimeUnit.MILLISECONDS.toNanos(5));
            http.record("/v1/jobs/{id}", "DELETE", 200, TimeUnit.MILLISECONDS.toNanos(5));
            http.record("/v1/jobs", "GET", 200, TimeUnit.MILLISECONDS.toNanos(5));
            http.record(HttpMetrics.UNMATCHED, "FOO", 405, TimeUnit.MILLISECONDS.toNanos(5));
            http.record(HttpMetrics.UNMATCHED, "BAR", 405, TimeUnit.MILLISECONDS.toNanos(5));
            http.openStreams().incrementAndGet();

            String text = metrics.scrape();
            String labels = "method=\"GET\",route=\"/v1/jobs/{id}\",status=\"200\"";
            assertThat(text).contains(
                    "kaption_http_server_requests_seconds_count{" + labels + "} 2",
                    "kaption_http_server_requests_seconds_bucket{" + labels + ",le=\"0.05\"} 1",
                    "kaption_http_server_requests_seconds_bucket{" + labels + ",le=\"0.1\"} 2",
                    "kaption_http_server_requests_seconds_count{method=\"GET\",route=\"/v1/jobs/{id}\",status=\"404\"} 1",
                    "kaption_http_server_requests_seconds_count{method=\"DELETE\",route=\"/v1/jobs/{id}\",status=\"200\"} 1",
                    "kaption_http_server_requests_seconds_count{method=\"GET\",route=\"/v1/jobs\",status=\"200\"} 1",
                    "kaption_http_server_requests_seconds_count{method=\"_OTHER\",route=\"unmatched\",status=\"405\"} 2",
                    "kaption_sse_streams_open 1.0");
            assertThat(text).as("a method token of the client's is no series of its own").doesNotContain("FOO", "BAR");
        }
    }

    @Test
    void deadLettersAreCountedByTopic() {
        try (ServiceMetrics metrics = ServiceMetrics.create()) {
            metrics.deadLettered("kaption.results.dlq");
            metrics.deadLettered("kaption.results.dlq");
            assertThat(metrics.scrape()).contains("kaption_dlq_records_total{topic=\"kaption.results.dlq\"} 2.0");
        }
    }
}
