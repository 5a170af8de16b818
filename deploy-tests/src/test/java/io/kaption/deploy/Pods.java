package io.kaption.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reading pod templates of rendered workloads: containers, their environment, label selectors. */
final class Pods {

    private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    private Pods() {}

    static JsonNode podSpec(JsonNode workload) {
        return workload.path("spec").path("template").path("spec");
    }

    static String name(JsonNode object) {
        return object.path("metadata").path("name").asText();
    }

    static List<JsonNode> containers(JsonNode workload) {
        List<JsonNode> containers = new ArrayList<>();
        podSpec(workload).path("initContainers").forEach(containers::add);
        podSpec(workload).path("containers").forEach(containers::add);
        return containers;
    }

    static JsonNode container(JsonNode workload, String name) {
        return containers(workload).stream().filter(c -> name.equals(c.path("name").asText())).findFirst()
                .orElseThrow(() -> new AssertionError(name(workload) + " has no container " + name));
    }

    /** The name a pod of {@code workload} gets: {@code <name>-0} for a StatefulSet's first replica. */
    static String podName(JsonNode workload) {
        return name(workload) + ("StatefulSet".equals(workload.path("kind").asText()) ? "-0" : "-5d8f7c9b4-x2x7q");
    }

    /**
     * The environment {@code container} of {@code workload} would start with, as far as the manifests decide it:
     * {@code envFrom} ConfigMaps of the overlay, then {@code env} in order with {@code $(VAR)} references expanded
     * as the kubelet does; the downward API's {@code metadata.name} is the pod's name and a Secret's key stands as
     * {@code <secret:name/key>}, except an optional one, which is left unset as it is where that Secret was not
     * created (the deployment as it comes).
     */
    static Map<String, String> environment(Overlay overlay, JsonNode workload, JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode source : container.path("envFrom")) {
            if (source.has("configMapRef")) {
                String configMap = source.path("configMapRef").path("name").asText();
                overlay.get("ConfigMap", configMap).path("data").fields()
                        .forEachRemaining(entry -> env.put(entry.getKey(), entry.getValue().asText()));
            } else if (source.has("secretRef")) {
                throw new AssertionError(name(workload) + ": envFrom a Secret hides which keys a container reads;"
                        + " use env with secretKeyRef");
            }
        }
        for (JsonNode variable : container.path("env")) {
            String name = variable.path("name").asText();
            if (variable.has("value")) {
                env.put(name, expand(variable.path("value").asText(), env));
            } else {
                JsonNode from = variable.path("valueFrom");
                if (from.has("fieldRef")) {
                    String field = from.path("fieldRef").path("fieldPath").asText();
                    env.put(name, "metadata.name".equals(field) ? podName(workload) : "<field:" + field + ">");
                } else if (from.path("secretKeyRef").path("optional").asBoolean(false)) {
                    env.remove(name);
                } else if (from.has("secretKeyRef")) {
                    env.put(name, "<secret:" + from.path("secretKeyRef").path("name").asText() + "/"
                            + from.path("secretKeyRef").path("key").asText() + ">");
                } else if (from.has("configMapKeyRef")) {
                    env.put(name, overlay.get("ConfigMap", from.path("configMapKeyRef").path("name").asText())
                            .path("data").path(from.path("configMapKeyRef").path("key").asText()).asText());
                } else {
                    env.put(name, "<" + from + ">");
                }
            }
        }
        return env;
    }

    private static String expand(String value, Map<String, String> defined) {
        Matcher matcher = REFERENCE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String replacement = defined.getOrDefault(matcher.group(1), matcher.group());
            matcher.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        return matcher.appendTail(out).toString();
    }

    /** Whether a {@code matchLabels} selector (the only form k8s/ uses) selects pods with {@code labels}. */
    static boolean selects(JsonNode matchLabels, JsonNode labels) {
        if (!matchLabels.isObject() || matchLabels.isEmpty()) {
            return false;
        }
        var entries = matchLabels.fields();
        while (entries.hasNext()) {
            var entry = entries.next();
            if (!entry.getValue().asText().equals(labels.path(entry.getKey()).asText(null))) {
                return false;
            }
        }
        return true;
    }

    static JsonNode podLabels(JsonNode workload) {
        return workload.path("spec").path("template").path("metadata").path("labels");
    }
}
