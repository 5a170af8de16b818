package io.kaption.ingest.discovery;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.ErrorShape;
import io.kaption.ingest.http.HttpExchange;
import io.kaption.ingest.http.Json;
import io.kaption.schemas.Topics;
import io.kaption.schemas.WorkerAnnouncement;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Discovery: {@code GET /v1/models} and {@code GET /v1/models/{id}} in OpenAI's shapes, one model per consumer group
 * that alive workers serve (its id is the group, what a chat completion's {@code model} names; {@code root} is the
 * checkpoint the workers announced), and one per LoRA adapter the group's workers announce, with id
 * {@code <group>:<adapter>} ({@code parent} the group, {@code root} the adapter: vLLM lists its adapters so); {@code GET /v1/groups} and {@code GET /v1/groups/{group}}: each group's workers
 * (model, dtype, batch size), its lanes' partitions, lag and dead-letter depth. With API keys, a key sees only the
 * groups it may use.
 */
public final class DiscoveryHandler {

    static final String OWNED_BY = "kaption";

    private final Vertx vertx;
    private final WorkerDirectory workers;
    private final GroupStats stats;

    public DiscoveryHandler(Vertx vertx, WorkerDirectory workers, GroupStats stats) {
        this.vertx = vertx;
        this.workers = workers;
        this.stats = stats;
    }

    /** {@code GET /v1/models}. */
    public void models(HttpExchange exchange) {
        exchange.errorShape(ErrorShape.OPENAI);
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        for (String group : workers.servedGroups()) {
            if (exchange.mayUse(group)) {
                List<WorkerAnnouncement> serving = workers.serving(group);
                data.add(model(group, serving));
                adapters(serving).forEach(adapter -> data.add(adapterModel(group, adapter, serving)));
            }
        }
        exchange.json(200, body);
    }

    /**
     * {@code GET /v1/models/{id}}: 404 {@code model_not_found} unless alive workers serve the group (and, for
     * {@code <group>:<adapter>}, announce the adapter).
     */
    public void model(HttpExchange exchange) {
        exchange.errorShape(ErrorShape.OPENAI);
        String id = exchange.pathParam("id");
        int colon = id.indexOf(':');
        String group = colon < 0 ? id : id.substring(0, colon);
        String adapter = colon < 0 ? null : id.substring(colon + 1);
        List<WorkerAnnouncement> serving = Topics.isValidConsumerGroup(group) && exchange.mayUse(group)
                ? workers.serving(group) : List.of();
        if (serving.isEmpty() || adapter != null && !adapters(serving).contains(adapter)) {
            throw new ApiException(404, "model_not_found", "The model '" + id + "' does not exist: no worker serves "
                    + (adapter == null ? "a consumer group of that name" : "that LoRA adapter in that consumer group")
                    + (exchange.apiKey().isPresent() ? " for this API key" : ""));
        }
        exchange.json(200, adapter == null ? model(id, serving) : adapterModel(group, adapter, serving));
    }

    /** The LoRA adapters any of the group's alive workers announce, sorted. */
    private static Set<String> adapters(List<WorkerAnnouncement> serving) {
        Set<String> adapters = new TreeSet<>();
        serving.stream().filter(w -> w.loraAdapters() != null).forEach(w -> adapters.addAll(w.loraAdapters()));
        return adapters;
    }

    private static ObjectNode adapterModel(String group, String adapter, List<WorkerAnnouncement> serving) {
        ObjectNode model = Json.MAPPER.createObjectNode();
        model.put("id", group + ":" + adapter);
        model.put("object", "model");
        model.put("created", serving.get(0).startedAt().getEpochSecond());
        model.put("owned_by", OWNED_BY);
        model.put("root", adapter);
        model.put("parent", group);
        return model;
    }

    /** {@code GET /v1/groups}: every group with a request topic or an alive worker. */
    public void groups(HttpExchange exchange) {
        vertx.executeBlocking(() -> {
                    Set<String> names = new TreeSet<>(stats.existingGroups());
                    names.addAll(workers.servedGroups());
                    names.removeIf(group -> !exchange.mayUse(group));
                    return stats.describe(List.copyOf(names));
                }, false)
                .onSuccess(groups -> {
                    ObjectNode body = Json.MAPPER.createObjectNode();
                    body.put("object", "list");
                    ArrayNode data = body.putArray("data");
                    groups.forEach(group -> data.add(group(group)));
                    exchange.json(200, body);
                })
                .onFailure(exchange::fail);
    }

    /** {@code GET /v1/groups/{group}}: 404 {@code unknown_consumer_group}, 403 for a group the key may not use. */
    public void group(HttpExchange exchange) {
        String name = exchange.pathParam("group");
        if (!Topics.isValidConsumerGroup(name)) {
            throw unknownGroup(name);
        }
        exchange.requireGroup(name);
        vertx.executeBlocking(() -> {
                    if (!stats.existingGroups().contains(name) && workers.serving(name).isEmpty()) {
                        throw unknownGroup(name);
                    }
                    return stats.describe(List.of(name)).get(0);
                }, false)
                .onSuccess(group -> exchange.json(200, group(group)))
                .onFailure(exchange::fail);
    }

    private static ObjectNode model(String group, List<WorkerAnnouncement> serving) {
        WorkerAnnouncement first = serving.get(0); // the longest-running worker
        ObjectNode model = Json.MAPPER.createObjectNode();
        model.put("id", group);
        model.put("object", "model");
        model.put("created", first.startedAt().getEpochSecond());
        model.put("owned_by", OWNED_BY);
        model.put("root", first.model());
        return model;
    }

    private ObjectNode group(GroupStats.Group group) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("id", group.group());
        body.put("object", "consumer_group");
        List<WorkerAnnouncement> serving = workers.serving(group.group());
        ArrayNode models = body.putArray("models");
        serving.stream().map(WorkerAnnouncement::model).distinct().forEach(models::add);
        ArrayNode list = body.putArray("workers");
        for (WorkerAnnouncement worker : serving) {
            ObjectNode entry = list.addObject();
            entry.put("worker_id", worker.workerId());
            entry.put("host", worker.host());
            entry.put("model", worker.model());
            entry.put("model_type", worker.modelType());
            entry.put("dtype", worker.dtype());
            entry.put("max_batch_size", worker.maxBatchSize());
            ArrayNode groups = entry.putArray("consumer_groups");
            worker.consumerGroups().forEach(groups::add);
            entry.put("started_at", worker.startedAt().toString());
            entry.put("announced_at", worker.announcedAt().toString());
        }
        ObjectNode kafka = body.putObject("kafka_consumer_group");
        kafka.put("group_id", group.kafkaGroupId());
        kafka.put("state", group.state());
        kafka.put("members", group.members());
        body.put("lag", group.lag());
        body.put("dlq_depth", group.dlqDepth());
        ArrayNode lanes = body.putArray("lanes");
        for (GroupStats.Lane lane : group.lanes()) {
            ObjectNode entry = lanes.addObject();
            entry.put("lane", lane.name());
            entry.put("topic", lane.topic());
            entry.put("lag", lane.lag());
            entry.put("dlq_topic", lane.dlqTopic());
            entry.put("dlq_depth", lane.dlqDepth());
            ArrayNode partitions = entry.putArray("partitions");
            for (GroupStats.PartitionLag partition : lane.partitions()) {
                ObjectNode p = partitions.addObject();
                p.put("partition", partition.partition());
                p.put("end_offset", partition.endOffset());
                if (partition.committedOffset() >= 0) {
                    p.put("committed_offset", partition.committedOffset());
                } else {
                    p.putNull("committed_offset");
                }
                p.put("lag", partition.lag());
            }
        }
        return body;
    }

    private static ApiException unknownGroup(String name) {
        return new ApiException(404, "unknown_consumer_group", "consumer group '" + name + "' does not exist (no "
                + "topic kaption.requests." + name + " and no worker serving it)");
    }
}
