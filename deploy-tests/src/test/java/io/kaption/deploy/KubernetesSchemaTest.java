package io.kaption.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.kaption.deploy.ManifestValidator.Verdict;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every overlay renders, and every object it renders is valid for the API server that would receive it. */
class KubernetesSchemaTest {

    static List<String> overlays() {
        return Overlay.names();
    }

    @Test
    void the_local_and_gpu_overlays_exist() {
        assertThat(Overlay.names()).contains("local", "gpu");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void every_rendered_object_validates_against_its_schema(String name) {
        Overlay overlay = Overlay.rendered(name);
        assertThat(overlay.objects()).as("objects rendered by overlay %s", name).hasSizeGreaterThan(10);

        List<Verdict> verdicts = ManifestValidator.installed().validate(overlay.yaml());

        assertThat(verdicts).as("one verdict per rendered object").hasSameSizeAs(overlay.objects());
        assertThat(verdicts).filteredOn(verdict -> !verdict.errors().isEmpty()).as("invalid objects").isEmpty();
        // Every kind was checked against a schema: the validator reports a kind it has none for as an error.
        assertThat(verdicts).extracting(Verdict::kind).contains("StatefulSet", "Service", "PodDisruptionBudget",
                "Kafka", "KafkaNodePool", "KafkaTopic", "ScaledObject");
    }

    @Test
    void the_validator_reports_each_kind_of_mistake() throws IOException {
        String yaml;
        try (var in = Objects.requireNonNull(getClass().getResourceAsStream("/broken-manifests.yaml"))) {
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }

        Map<String, Verdict> byName = ManifestValidator.installed().validate(yaml).stream()
                .collect(Collectors.toMap(Verdict::name, Function.identity()));

        assertThat(byName.get("bad-quantity").errors()).anyMatch(e -> e.contains("/resources/limits/cpu"));
        assertThat(byName.get("bad-port").errors()).anyMatch(e -> e.startsWith("/spec/ports/0/port"));
        assertThat(byName.get("misspelt-field").errors())
                .anyMatch(e -> e.contains("additional properties") && e.contains("replica"));
        assertThat(byName.get("bad-type").errors()).anyMatch(e -> e.startsWith("/spec/partitions"));
        assertThat(byName.get("no-triggers").errors()).anyMatch(e -> e.contains("triggers"));
        assertThat(byName.get("bad-label").errors()).anyMatch(e -> e.startsWith("/metadata/labels"));
        assertThat(byName.get("unknown-kind").errors()).anyMatch(e -> e.contains("no schema"));
    }
}
