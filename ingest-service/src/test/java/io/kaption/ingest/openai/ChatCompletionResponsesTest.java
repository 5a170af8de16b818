package io.kaption.ingest.openai;

import io.kaption.ingest.http.Json;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.Texts;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ChatCompletionResponsesTest {

    private static final String HEAD = "{\"id\":\"chatcmpl-r1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
            + "\"model\":\"primary\",\"system_fingerprint\":null,";

    private final ChatCompletionResponses plain = ChatCompletionResponses.forRequest("r1", 1_700_000_000L, "primary", false);
    private final ChatCompletionResponses withUsage = ChatCompletionResponses.forRequest("r1", 1_700_000_000L, "primary", true);

    @Test
    void aCompletionHasOpenAisShape() {
        GenerationResult result = new GenerationResult("r1", Texts.of("A cat."), FinishReason.STOP,
                GenerationResult.Usage.of(9, 3), null, null, null, null, null, null, null, null);

        assertThat(Json.write(plain.completion(result))).isEqualTo("{\"id\":\"chatcmpl-r1\",\"object\":\"chat.completion\","
                + "\"created\":1700000000,\"model\":\"primary\",\"system_fingerprint\":null,\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"A cat.\",\"refusal\":null},\"logprobs\":null,"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,\"total_tokens\":12}}");
    }

    @Test
    void chunksHaveOpenAisShape() {
        assertThat(plain.roleChunk()).isEqualTo(HEAD + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                + "\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}");
        assertThat(plain.contentChunk("Hi")).isEqualTo(HEAD + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
                + "\"logprobs\":null,\"finish_reason\":null}]}");
        assertThat(plain.finishChunk(FinishReason.LENGTH)).isEqualTo(HEAD + "\"choices\":[{\"index\":0,\"delta\":{},"
                + "\"logprobs\":null,\"finish_reason\":\"length\"}]}");
    }

    @Test
    void withIncludeUsageChunksCarryANullUsageAndAUsageChunkComesLast() {
        assertThat(withUsage.contentChunk("Hi")).isEqualTo(HEAD + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
                + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}");
        assertThat(withUsage.usageChunk(GenerationResult.Usage.of(4, 1))).isEqualTo(HEAD + "\"choices\":[],"
                + "\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1,\"total_tokens\":5}}");
    }
}
