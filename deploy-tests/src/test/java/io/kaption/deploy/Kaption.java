package io.kaption.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.ingest.IngestConfig;
import io.kaption.sink.ResultSinkConfig;
import io.kaption.worker.WorkerConfig;
import java.util.List;
import java.util.Map;

/**
 * Kaption's three services in a rendered overlay, found by their images, with their configuration parsed by the
 * services' own code from the environment the manifests give them.
 */
record Kaption(Overlay overlay, Service ingest, Service worker, Service sink) {

    /** One service: its workload, its container, the container's environment. */
    record Service(JsonNode workload, JsonNode container, Map<String, String> env) {
        String image() {
            return container.path("image").asText();
        }

        /** The container port called {@code name}. */
        int port(String name) {
            for (JsonNode port : container.path("ports")) {
                if (name.equals(port.path("name").asText())) {
                    return port.path("containerPort").asInt();
                }
            }
            throw new AssertionError(Pods.name(workload) + " has no container port named " + name);
        }
    }

    static final String INGEST_IMAGE = "kaption/ingest-service";
    static final String WORKER_IMAGE = "kaption/gpu-worker";
    static final String SINK_IMAGE = "kaption/result-sink";

    static Kaption in(Overlay overlay) {
        return new Kaption(overlay, service(overlay, INGEST_IMAGE), service(overlay, WORKER_IMAGE),
                service(overlay, SINK_IMAGE));
    }

    IngestConfig ingestConfig() {
        return IngestConfig.fromEnvironment(ingest.env());
    }

    WorkerConfig workerConfig() {
        return WorkerConfig.fromEnvironment(worker.env());
    }

    ResultSinkConfig sinkConfig() {
        return ResultSinkConfig.fromEnvironment(sink.env());
    }

    List<Service> all() {
        return List.of(ingest, worker, sink);
    }

    private static Service service(Overlay overlay, String imageName) {
        List<Service> found = overlay.workloads().stream()
                .flatMap(workload -> Pods.containers(workload).stream()
                        .filter(c -> c.path("image").asText().startsWith(imageName + ":"))
                        .map(c -> new Service(workload, c, Pods.environment(overlay, workload, c))))
                .toList();
        if (found.size() != 1) {
            throw new AssertionError("overlay " + overlay.name() + ": expected one container of image " + imageName
                    + ", found " + found.size());
        }
        return found.get(0);
    }
}
