package io.kaption.sink.jobs.progress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.schemas.Cancellation;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.jobs.JobOutputs;
import io.kaption.schemas.jobs.JobPlan;
import io.kaption.schemas.jobs.JobSpec;
import io.kaption.schemas.serde.ContractCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * One input of the progress topology, decoded and keyed by its job id. All five inputs go through one repartition
 * topic as these, so that every event of a job reaches the same task whatever the partition counts of the inputs.
 */
sealed interface JobEvent {

    String jobId();

    record Spec(JobSpec spec) implements JobEvent {
        public String jobId() {
            return spec.jobId();
        }
    }

    record Plan(JobPlan plan) implements JobEvent {
        public String jobId() {
            return plan.jobId();
        }
    }

    record Result(GenerationResult result) implements JobEvent {
        public String jobId() {
            return result.jobId();
        }
    }

    record Cancel(Cancellation cancellation) implements JobEvent {
        public String jobId() {
            return cancellation.jobId();
        }
    }

    record Outputs(JobOutputs outputs) implements JobEvent {
        public String jobId() {
            return outputs.jobId();
        }
    }

    /**
     * {@code {"spec": <kaption.jobs value>}}, {@code {"plan": …}}, {@code {"result": …}}, {@code {"cancel": …}} or
     * {@code {"outputs": …}}: the contract JSON of the event under the name of its kind.
     */
    final class JsonSerde implements Serde<JobEvent> {

        private static final ObjectMapper MAPPER = new ObjectMapper();

        @Override
        public Serializer<JobEvent> serializer() {
            return (topic, event) -> {
                if (event == null) {
                    return null;
                }
                ObjectNode envelope = MAPPER.createObjectNode();
                if (event instanceof Spec e) {
                    envelope.set("spec", ContractCodec.JOBS.toValidatedTree(e.spec()));
                } else if (event instanceof Plan e) {
                    envelope.set("plan", ContractCodec.JOB_PLANS.toValidatedTree(e.plan()));
                } else if (event instanceof Result e) {
                    envelope.set("result", ContractCodec.RESULTS.toValidatedTree(e.result()));
                } else if (event instanceof Cancel e) {
                    envelope.set("cancel", ContractCodec.CANCELLATIONS.toValidatedTree(e.cancellation()));
                } else if (event instanceof Outputs e) {
                    envelope.set("outputs", ContractCodec.JOB_OUTPUTS.toValidatedTree(e.outputs()));
                }
                try {
                    return MAPPER.writeValueAsBytes(envelope);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
        }

        @Override
        public Deserializer<JobEvent> deserializer() {
            return (topic, bytes) -> {
                if (bytes == null) {
                    return null;
                }
                JsonNode envelope;
                try {
                    envelope = MAPPER.readTree(bytes);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                String kind = envelope.fieldNames().next();
                JsonNode value = envelope.get(kind);
                return switch (kind) {
                    case "spec" -> new Spec(ContractCodec.JOBS.decode(value));
                    case "plan" -> new Plan(ContractCodec.JOB_PLANS.decode(value));
                    case "result" -> new Result(ContractCodec.RESULTS.decode(value));
                    case "cancel" -> new Cancel(ContractCodec.CANCELLATIONS.decode(value));
                    case "outputs" -> new Outputs(ContractCodec.JOB_OUTPUTS.decode(value));
                    default -> throw new IllegalArgumentException("not a job event: " + kind);
                };
            };
        }
    }
}
