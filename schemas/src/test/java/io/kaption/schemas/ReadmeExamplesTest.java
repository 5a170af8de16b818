package io.kaption.schemas;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.kaption.schemas.serde.ContractCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The examples data engineers copy from schemas/README.md must be valid records. */
class ReadmeExamplesTest {

    private static final Map<String, ContractCodec<?>> CODECS = Map.of(
            "kaption.requests", ContractCodec.REQUESTS,
            "kaption.tokens", ContractCodec.TOKENS,
            "kaption.results", ContractCodec.RESULTS,
            "kaption.cancellations", ContractCodec.CANCELLATIONS,
            "kaption.jobs", ContractCodec.JOBS,
            "kaption.job-plans", ContractCodec.JOB_PLANS,
            "kaption.job-records", ContractCodec.JOB_RECORDS,
            "kaption.job-outputs", ContractCodec.JOB_OUTPUTS,
            "kaption.job-status", ContractCodec.JOB_STATUS,
            "kaption.workers", ContractCodec.WORKERS);

    // ```json kaption.requests ... ``` : the word after "json" names the topic family of the example.
    private static final Pattern JSON_EXAMPLE = Pattern.compile("```json (kaption\\.[\\w-]+)\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern KCAT_EXAMPLE =
            Pattern.compile("echo '(\\{.*?})' \\| kcat -P -b \\S+ -t (kaption\\.requests)\\.[\\w.-]+ -k (\\S+)");

    private final String readme = Files.readString(Path.of("README.md"), UTF_8);

    ReadmeExamplesTest() throws Exception {}

    @Test
    void everyJsonExampleIsValidForItsTopic() {
        List<String> families = new ArrayList<>();
        Matcher example = JSON_EXAMPLE.matcher(readme);
        while (example.find()) {
            String family = example.group(1);
            String json = example.group(2);
            families.add(family);
            assertThat(CODECS).as("topic family of an example").containsKey(family);
            assertThatCode(() -> CODECS.get(family).decode(json.getBytes(UTF_8)))
                    .as("README example for %s:%n%s", family, json)
                    .doesNotThrowAnyException();
        }
        assertThat(families).as("every json block is tagged with its topic family")
                .hasSize(readme.split("```json", -1).length - 1)
                .contains("kaption.requests", "kaption.tokens", "kaption.results");
    }

    @Test
    void theKcatExampleProducesAValidRequestKeyedByItsId() {
        Matcher kcat = KCAT_EXAMPLE.matcher(readme);
        assertThat(kcat.find()).as("a kcat -P example in the README").isTrue();
        GenerationRequest request = ContractCodec.REQUESTS.decode(kcat.group(1).getBytes(UTF_8));
        assertThat(kcat.group(3)).as("the record key").isEqualTo(request.requestId());
    }
}
