package io.kaption.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kaption.engine.LlavaEngine;
import io.kaption.ingest.IngestConfig;
import io.kaption.jobs.planning.JobPlannerConfig;
import io.kaption.schemas.Topics;
import io.kaption.sink.ResultSinkConfig;
import io.kaption.worker.WorkerConfig;
import io.kaption.worker.consume.RequestConsumer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** How the services run: images, ports, probes, resources, shutdown, credentials, disruption budgets, scaling. */
class WorkloadRulesTest {

    /** Kubernetes object names: DNS-1123 subdomains; Service names: DNS-1035 labels. */
    private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern SECRET_LIKE = Pattern.compile("(?i).*(SECRET|PASSWORD|CREDENTIAL|ACCESS_KEY|TOKEN).*");
    /**
     * Variables set for the services that the README's configuration table does not list: the AWS SDK's own
     * credentials and the downward API's pod name.
     */
    private static final Set<String> NOT_IN_README = Set.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "POD_NAME");
    private static final Pattern README_VARIABLE = Pattern.compile("`([A-Z][A-Z0-9_]+)`");
    /** Room after the worker's shutdown grace for handing back the rest of its batch and closing its clients. */
    private static final long WORKER_CLOSE_MARGIN_MILLIS = 15_000;

    static List<String> overlays() {
        return Overlay.names();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void images_have_the_release_names(String name) {
        Kaption kaption = Kaption.in(Overlay.rendered(name));
        assertThat(kaption.ingest().image()).isEqualTo("kaption/ingest-service:0.1.0");
        assertThat(kaption.sink().image()).isEqualTo("kaption/result-sink:0.1.0");
        assertThat(kaption.worker().image())
                .isEqualTo("gpu".equals(name) ? "kaption/gpu-worker:0.1.0-cuda" : "kaption/gpu-worker:0.1.0");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void every_container_has_resources_and_probes(String name) {
        Overlay overlay = Overlay.rendered(name);
        assertThat(overlay.workloads()).isNotEmpty();
        for (JsonNode workload : overlay.workloads()) {
            for (JsonNode container : Pods.containers(workload)) {
                String where = Pods.name(workload) + "/" + container.path("name").asText();
                JsonNode resources = container.path("resources");
                assertThat(resources.path("requests").has("cpu")).as("%s: cpu request", where).isTrue();
                assertThat(resources.path("requests").has("memory")).as("%s: memory request", where).isTrue();
                assertThat(resources.path("limits").has("memory")).as("%s: memory limit", where).isTrue();
                assertThat(container.has("readinessProbe")).as("%s: readiness probe", where).isTrue();
                assertThat(container.has("livenessProbe")).as("%s: liveness probe", where).isTrue();
                assertThat(container.path("securityContext").path("allowPrivilegeEscalation").asBoolean(true))
                        .as("%s: allowPrivilegeEscalation", where).isFalse();
            }
            assertThat(Pods.podSpec(workload).path("securityContext").path("runAsNonRoot").asBoolean())
                    .as("%s runs as non-root", Pods.name(workload)).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void services_are_probed_on_readyz_and_healthz_of_their_named_ports(String name) {
        Kaption kaption = Kaption.in(Overlay.rendered(name));
        IngestConfig ingest = kaption.ingestConfig();
        ResultSinkConfig sink = kaption.sinkConfig();

        assertThat(kaption.ingest().port("http")).isEqualTo(3000).isEqualTo(ingest.port());
        assertThat(kaption.sink().port("http")).isEqualTo(3002).isEqualTo(sink.port());
        assertThat(kaption.worker().port("metrics")).isEqualTo(3001);
        assertThat(kaption.worker().env()).containsEntry("KAPTION_WORKER_METRICS_PORT", "3001");

        Map<Kaption.Service, String> portNames = Map.of(kaption.ingest(), "http", kaption.sink(), "http",
                kaption.worker(), "metrics");
        portNames.forEach((service, port) -> {
            String where = Pods.name(service.workload());
            assertProbe(service.container().path("readinessProbe"), "/readyz", port, where + " readiness");
            assertProbe(service.container().path("livenessProbe"), "/healthz", port, where + " liveness");
            if (service.container().has("startupProbe")) {
                assertProbe(service.container().path("startupProbe"), "/healthz", port, where + " startup");
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void every_variable_parses_with_the_services_own_configuration_code(String name) {
        Kaption kaption = Kaption.in(Overlay.rendered(name));
        // Each throws, naming the variable, on a malformed value (as the service would at start).
        IngestConfig ingest = kaption.ingestConfig();
        WorkerConfig worker = kaption.workerConfig();
        ResultSinkConfig sink = kaption.sinkConfig();

        assertThat(ingest.awsRegion()).isEqualTo(worker.awsRegion());
        assertThat(ingest.s3Endpoint()).isEqualTo(worker.s3Endpoint()).isEqualTo(sink.outputs().s3Endpoint());
        assertThat(worker.consumerGroups()).containsExactly(Topics.DEFAULT_CONSUMER_GROUP);
        assertThat(sink.jobs().enabled()).isTrue();
        Path stateDir = sink.jobs().progress().stateDir();
        assertThat(mountOf(kaption.sink(), stateDir))
                .as("the sink's state directory %s is on a volume claim of the StatefulSet", stateDir)
                .isIn(volumeClaimTemplates(kaption.sink().workload()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void every_variable_set_is_one_the_services_read(String name) throws IOException {
        // A misspelt name would be ignored by the services without a word: each must be in the README's table.
        Set<String> documented = readmeVariables();
        Kaption kaption = Kaption.in(Overlay.rendered(name));
        for (Kaption.Service service : kaption.all()) {
            assertThat(service.env().keySet()).as("variables of %s", Pods.name(service.workload()))
                    .allMatch(variable -> documented.contains(variable) || NOT_IN_README.contains(variable),
                            "in the configuration table of README.md");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void replicas_that_need_stable_names_get_them_from_a_stateful_set(String name) {
        Kaption kaption = Kaption.in(Overlay.rendered(name));
        JsonNode ingest = kaption.ingest().workload();
        JobPlannerConfig planner = kaption.ingestConfig().jobPlanner().orElseThrow();

        assertThat(ingest.path("kind").asText()).isEqualTo("StatefulSet");
        assertThat(planner.instanceId()).as("the job planner's instance id is the pod's name")
                .isEqualTo(Pods.podName(ingest));
        JsonNode worker = kaption.worker().workload();
        assertThat(worker.path("kind").asText()).isEqualTo("StatefulSet");
        assertThat(kaption.worker().env()).as("static group membership by pod name")
                .containsEntry("KAPTION_WORKER_INSTANCE_ID", Pods.podName(worker))
                .containsEntry("POD_NAME", Pods.podName(worker));

        for (Kaption.Service service : kaption.all()) {
            JsonNode workload = service.workload();
            if ("StatefulSet".equals(workload.path("kind").asText())) {
                JsonNode governing = kaption.overlay().get("Service", workload.path("spec").path("serviceName").asText());
                assertThat(governing.path("spec").path("clusterIP").asText()).as("%s: headless governing Service",
                        Pods.name(workload)).isEqualTo("None");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void pods_get_time_to_stop_and_the_worker_time_to_finish_its_batch(String name) {
        Kaption kaption = Kaption.in(Overlay.rendered(name));
        long workerGraceMillis = 1000L * terminationGrace(kaption.worker().workload());
        assertThat(workerGraceMillis).as("worker terminationGracePeriodSeconds in ms")
                .isGreaterThanOrEqualTo(kaption.workerConfig().shutdownGrace().toMillis() + WORKER_CLOSE_MARGIN_MILLIS);

        for (JsonNode workload : kaption.overlay().workloads()) {
            long grace = terminationGrace(workload);
            for (JsonNode container : Pods.containers(workload)) {
                long preStop = container.path("lifecycle").path("preStop").path("sleep").path("seconds").asLong(0);
                assertThat(grace).as("%s: grace period after its preStop sleep", Pods.name(workload))
                        .isGreaterThanOrEqualTo(preStop + 20);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void credentials_come_only_from_a_secret_the_user_creates(String name) {
        Overlay overlay = Overlay.rendered(name);
        assertThat(overlay.all("Secret")).as("Secrets in the rendered manifests").isEmpty();
        for (JsonNode configMap : overlay.all("ConfigMap")) {
            assertThat(iterable(configMap.path("data").fieldNames())).as("%s keys", Pods.name(configMap))
                    .noneMatch(key -> SECRET_LIKE.matcher(key).matches());
        }
        for (JsonNode workload : overlay.workloads()) {
            for (JsonNode container : Pods.containers(workload)) {
                for (JsonNode variable : container.path("env")) {
                    String variableName = variable.path("name").asText();
                    if (SECRET_LIKE.matcher(variableName).matches()) {
                        assertThat(variable.path("valueFrom").has("secretKeyRef"))
                                .as("%s: %s comes from a Secret", Pods.name(workload), variableName).isTrue();
                    }
                }
            }
        }
        Kaption kaption = Kaption.in(overlay);
        for (Kaption.Service service : kaption.all()) {
            assertThat(service.env()).containsEntry("AWS_ACCESS_KEY_ID", "<secret:kaption-s3/AWS_ACCESS_KEY_ID>")
                    .containsEntry("AWS_SECRET_ACCESS_KEY", "<secret:kaption-s3/AWS_SECRET_ACCESS_KEY>");
        }
        // API keys are optional: from the Secret kaption-api-keys where it exists, an open API without it.
        for (Kaption.Service service : List.of(kaption.ingest(), kaption.sink())) {
            JsonNode apiKeys = StreamSupport.stream(service.container().path("env").spliterator(), false)
                    .filter(variable -> "KAPTION_API_KEYS".equals(variable.path("name").asText()))
                    .findFirst().orElseThrow(() -> new AssertionError(Pods.name(service.workload())
                            + " does not read KAPTION_API_KEYS"))
                    .path("valueFrom").path("secretKeyRef");
            assertThat(apiKeys.path("name").asText()).isEqualTo("kaption-api-keys");
            assertThat(apiKeys.path("optional").asBoolean()).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void every_workload_has_a_disruption_budget_and_every_service_selects_pods_with_its_ports(String name) {
        Overlay overlay = Overlay.rendered(name);
        List<JsonNode> budgets = overlay.all("PodDisruptionBudget");
        for (JsonNode workload : overlay.workloads()) {
            assertThat(budgets).as("a PodDisruptionBudget for %s", Pods.name(workload)).anyMatch(budget ->
                    Pods.selects(budget.path("spec").path("selector").path("matchLabels"), Pods.podLabels(workload)));
        }
        for (JsonNode budget : budgets) {
            assertThat(overlay.workloads()).as("the pods of PodDisruptionBudget %s", Pods.name(budget)).anyMatch(w ->
                    Pods.selects(budget.path("spec").path("selector").path("matchLabels"), Pods.podLabels(w)));
        }
        for (JsonNode service : overlay.all("Service")) {
            List<JsonNode> selected = overlay.workloads().stream()
                    .filter(w -> Pods.selects(service.path("spec").path("selector"), Pods.podLabels(w))).toList();
            assertThat(selected).as("workloads behind Service %s", Pods.name(service)).hasSize(1);
            Set<String> containerPorts = Pods.containers(selected.get(0)).stream()
                    .flatMap(c -> StreamSupport.stream(c.path("ports").spliterator(), false))
                    .map(port -> port.path("name").asText()).collect(Collectors.toSet());
            for (JsonNode port : service.path("spec").path("ports")) {
                assertThat(containerPorts).as("Service %s targets a named container port", Pods.name(service))
                        .contains(port.path("targetPort").asText());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void object_names_are_legal(String name) {
        for (JsonNode object : Overlay.rendered(name).objects()) {
            String objectName = Pods.name(object);
            assertThat(objectName).as("%s name", object.path("kind").asText()).matches(SUBDOMAIN).hasSizeLessThan(254);
            if ("Service".equals(object.path("kind").asText())) {
                assertThat(objectName).matches(LABEL).hasSizeLessThan(64);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void workers_scale_on_their_consumer_groups_lag_up_to_the_partitions_of_their_topics(String name) {
        Overlay overlay = Overlay.rendered(name);
        Kaption kaption = Kaption.in(overlay);
        JsonNode worker = kaption.worker().workload();
        assertThat(overlay.all("ScaledObject")).hasSize(1);
        JsonNode scaled = overlay.all("ScaledObject").get(0).path("spec");

        assertThat(scaled.path("scaleTargetRef").path("kind").asText()).isEqualTo(worker.path("kind").asText());
        assertThat(scaled.path("scaleTargetRef").path("name").asText()).isEqualTo(Pods.name(worker));
        assertThat(worker.path("spec").has("replicas")).as("replicas are KEDA's to set").isFalse();

        Set<String> expectedTopics = new HashSet<>();
        Set<String> groups = new HashSet<>();
        for (String group : kaption.workerConfig().consumerGroups()) {
            expectedTopics.add(Topics.requests(group));
            expectedTopics.add(Topics.bulkRequests(group));
            groups.add(RequestConsumer.groupId(group));
        }
        String cluster = Pods.name(overlay.all("Kafka").get(0));
        Set<String> triggerTopics = new HashSet<>();
        for (JsonNode trigger : scaled.path("triggers")) {
            JsonNode metadata = trigger.path("metadata");
            assertThat(trigger.path("type").asText()).isEqualTo("kafka");
            assertThat(metadata.path("consumerGroup").asText()).isIn(groups);
            assertThat(metadata.path("bootstrapServers").asText()).startsWith(cluster + "-kafka-bootstrap.");
            assertThat(Integer.parseInt(metadata.path("lagThreshold").asText())).isPositive();
            assertThat(metadata.path("allowIdleConsumers").asText("false")).isEqualTo("false");
            triggerTopics.add(metadata.path("topic").asText());
        }
        assertThat(triggerTopics).isEqualTo(expectedTopics);

        Map<String, JsonNode> topics = KafkaTopicsTest.kafkaTopics(overlay);
        int fewestPartitions = expectedTopics.stream()
                .mapToInt(topic -> topics.get(topic).path("spec").path("partitions").asInt()).min().orElseThrow();
        int max = scaled.path("maxReplicaCount").asInt();
        assertThat(max).as("maxReplicaCount").isPositive().isLessThanOrEqualTo(fewestPartitions);
        assertThat(scaled.path("minReplicaCount").asInt()).isBetween(0, max);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void gpu_workers_get_a_gpu_float16_and_a_read_only_model_volume_and_others_no_gpu(String name) {
        Kaption kaption = Kaption.in(Overlay.rendered(name));
        JsonNode worker = kaption.worker().workload();
        JsonNode resources = kaption.worker().container().path("resources");
        WorkerConfig config = kaption.workerConfig();
        if (!"gpu".equals(name)) {
            assertThat(resources.toString()).doesNotContain("nvidia.com/gpu");
            assertThat(config.model()).as("the demo model").isEmpty();
            // S3 is the overlay's own (S3Proxy), reached through its Service.
            URI endpoint = config.s3Endpoint().orElseThrow();
            Overlay overlay = kaption.overlay();
            JsonNode s3 = overlay.get("Service", endpoint.getHost());
            assertThat(s3.path("spec").path("ports").findValuesAsText("port")).contains(String.valueOf(endpoint.getPort()));
            return;
        }
        assertThat(resources.path("limits").path("nvidia.com/gpu").asInt()).isEqualTo(1);
        assertThat(resources.path("requests").path("nvidia.com/gpu").asInt(1)).isEqualTo(1);
        assertThat(Pods.podSpec(worker).path("nodeSelector").isEmpty()).as("GPU node selector").isFalse();
        assertThat(Pods.podSpec(worker).path("tolerations").findValuesAsText("key")).contains("nvidia.com/gpu");
        assertThat(config.precision()).isEqualTo(LlavaEngine.Precision.FLOAT16);
        Path model = config.model().orElseThrow(() -> new AssertionError("the GPU overlay names a model"));
        JsonNode mount = mountNode(kaption.worker(), model);
        assertThat(mount.path("readOnly").asBoolean()).as("model mounted read-only").isTrue();
        JsonNode volume = volume(worker, mount.path("name").asText());
        assertThat(volume.has("persistentVolumeClaim")).as("model volume is a claim").isTrue();
    }

    /** The variable names of the configuration table in the root README.md (first column, back-quoted). */
    private static Set<String> readmeVariables() throws IOException {
        Path readme = Overlay.k8sDirectory().getParent().resolve("README.md");
        Set<String> variables = new HashSet<>();
        boolean inTable = false;
        for (String line : Files.readAllLines(readme)) {
            if (line.startsWith("| variable | default |")) {
                inTable = true;
            } else if (inTable && !line.startsWith("|")) {
                break;
            } else if (inTable) {
                String firstCell = line.split("\\|")[1];
                Matcher matcher = README_VARIABLE.matcher(firstCell);
                while (matcher.find()) {
                    variables.add(matcher.group(1));
                }
            }
        }
        assertThat(variables).as("variables of README.md's configuration table").contains("KAPTION_MODEL");
        return variables;
    }

    private static void assertProbe(JsonNode probe, String path, String port, String what) {
        assertThat(probe.path("httpGet").path("path").asText()).as("%s path", what).isEqualTo(path);
        assertThat(probe.path("httpGet").path("port").asText()).as("%s port", what).isEqualTo(port);
    }

    private static long terminationGrace(JsonNode workload) {
        // Kubernetes' default when unset.
        return Pods.podSpec(workload).path("terminationGracePeriodSeconds").asLong(30);
    }

    private static JsonNode mountNode(Kaption.Service service, Path path) {
        JsonNode best = null;
        for (JsonNode mount : service.container().path("volumeMounts")) {
            Path mountPath = Path.of(mount.path("mountPath").asText());
            if (path.startsWith(mountPath)
                    && (best == null || mountPath.getNameCount() > Path.of(best.path("mountPath").asText()).getNameCount())) {
                best = mount;
            }
        }
        if (best == null) {
            throw new AssertionError(Pods.name(service.workload()) + ": " + path + " is on no volume");
        }
        return best;
    }

    private static String mountOf(Kaption.Service service, Path path) {
        return mountNode(service, path).path("name").asText();
    }

    private static Set<String> volumeClaimTemplates(JsonNode workload) {
        return StreamSupport.stream(workload.path("spec").path("volumeClaimTemplates").spliterator(), false)
                .map(Pods::name).collect(Collectors.toSet());
    }

    private static JsonNode volume(JsonNode workload, String name) {
        for (JsonNode volume : Pods.podSpec(workload).path("volumes")) {
            if (name.equals(volume.path("name").asText())) {
                return volume;
            }
        }
        throw new AssertionError(Pods.name(workload) + " has no volume " + name);
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> iterator) {
        List<T> items = new java.util.ArrayList<>();
        iterator.forEachRemaining(items::add);
        return items;
    }
}
