package io.kaption.ingest.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.ingest.support.IngestFixture;
import io.kaption.ingest.support.TestImages;
import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.FinishReason;
import io.kaption.schemas.GenerationResult.Usage;
import io.kaption.schemas.Texts;
import io.kaption.schemas.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static io.kaption.ingest.support.IngestFixture.await;
import static io.kaption.ingest.support.IngestFixture.completed;
import static io.kaption.ingest.support.IngestFixture.failed;
import static io.kaption.ingest.support.IngestFixture.json;
import static io.kaption.ingest.support.IngestFixture.newRequestId;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code /v1/chat/completions} on a real broker: OpenAI's request and response shapes around the contract. */
@ExtendWith(SharedInfrastructure.class)
class ChatCompletionsIT {

    private static IngestFixture ingest;
    private static String group;

    @BeforeAll
    static void start() {
        ingest = IngestFixture.start("openai", Map.of());
        group = ingest.group();
        SharedInfrastructure.createTopic(Topics.requests(Topics.DEFAULT_CONSUMER_GROUP), 1);
    }

    @AfterAll
    static void stop() {
        ingest.close();
    }

    @Test
    void aCompletionIsPublishedGreedyForTemperatureZeroAndAnsweredAsAChatCompletion() {
        String id = newRequestId();
        long before = Instant.now().getEpochSecond();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/v1/chat/completions",
                id, "{\"model\":\"" + group + "\",\"temperature\":0,\"max_tokens\":20,\"seed\":7,\"messages\":["
                        + "{\"role\":\"system\",\"content\":\"You are terse.\"},"
                        + "{\"role\":\"user\",\"content\":\"What is this?\"}]}"));

        assertThat(ingest.awaitRequest(id)).isEqualTo(json("{\"request_id\":\"" + id + "\","
                + "\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"You are terse.\"}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"}]}],\"stream\":false,\"consumer_group\":\"" + group + "\","
                + "\"sampling_temperature\":1.0,\"sampling_topp\":1.0,\"sampling_topk\":1,\"repetition_penalty\":1.0,"
                + "\"no_repeat_ngram_size\":0,\"max_new_tokens\":20,\"min_new_tokens\":0,\"use_chat_template\":true}"));

        ingest.result(completed(id, Texts.of("A cat."), FinishReason.LENGTH, Usage.of(30, 20)));
        HttpResponse<String> answer = await(response);
        assertThat(answer.statusCode()).isEqualTo(200);
        JsonNode body = json(answer.body());
        long created = body.get("created").longValue();
        assertThat(created).isBetween(before, Instant.now().getEpochSecond());
        assertThat(body).isEqualTo(json("{\"id\":\"chatcmpl-" + id + "\",\"object\":\"chat.completion\","
                + "\"created\":" + created + ",\"model\":\"" + group + "\",\"system_fingerprint\":null,"
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"A cat.\",\"refusal\":null},"
                + "\"logprobs\":null,\"finish_reason\":\"length\"}],"
                + "\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":20,\"total_tokens\":50}}"));
    }

    @Test
    void aStreamSendsOpenAiChunksThenUsageThenDone() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/v1/chat/completions",
                id, "{\"model\":\"" + group + "\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));

        JsonNode record = ingest.awaitRequest(id);
        assertThat(record.get("stream").booleanValue()).isTrue();
        assertThat(record.at("/messages/0/content/0/text").textValue()).isEqualTo("Hi");
        ingest.token(id, 0, 0, "Hel");
        ingest.token(id, 0, 1, "lo");
        ingest.lastToken(id, 0, 2, "", FinishReason.STOP);
        ingest.result(completed(id, Texts.of("Hello"), FinishReason.STOP, Usage.of(5, 2)));

        HttpResponse<String> answer = await(response);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
        String[] events = answer.body().split("\n\n");
        assertThat(events).hasSize(6);
        long created = json(events[0].substring("data: ".length())).get("created").longValue();
        String head = "{\"id\":\"chatcmpl-" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":" + created
                + ",\"model\":\"" + group + "\",\"system_fingerprint\":null,";
        assertThat(answer.body()).isEqualTo(
                "data: " + head + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                        + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
                        + "data: " + head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},"
                        + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
                        + "data: " + head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},"
                        + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
                        + "data: " + head + "\"choices\":[{\"index\":0,\"delta\":{},"
                        + "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
                        + "data: " + head + "\"choices\":[],"
                        + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n"
                        + "data: [DONE]\n\n");
    }

    @Test
    void base64ImagePartsBecomeTheImagesAndSamplingFollowsOpenAisDefaults() {
        byte[] png = TestImages.smallPng(12, 12);
        String dataUrl = "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
        String otherUrl = "data:image/png;base64," + Base64.getEncoder().encodeToString(TestImages.smallPng(7, 5));
        String id = newRequestId();
        ingest.sendAsync(ingest.jsonRequest("/v1/chat/completions", id, "{\"model\":\"" + group + "\","
                + "\"top_p\":0.9,\"max_completion_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"text\",\"text\":\"What is in this image?\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + dataUrl + "\"}},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + otherUrl + "\"}}]}]}"));

        JsonNode record = ingest.awaitRequest(id);
        assertThat(record.has("image_url")).isFalse();
        assertThat(record.get("image_urls")).extracting(JsonNode::textValue).containsExactly(dataUrl, otherUrl);
        assertThat(record.has("text")).isFalse();
        assertThat(record.get("messages").toString()).isEqualTo("[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"text\",\"text\":\"What is in this image?\"},"
                + "{\"type\":\"image\",\"index\":0},{\"type\":\"image\",\"index\":1}]}]");
        assertThat(record.get("sampling_temperature").doubleValue()).isEqualTo(1.0);
        assertThat(record.get("sampling_topk").intValue()).isEqualTo(Integer.MAX_VALUE);
        assertThat(record.get("sampling_topp").doubleValue()).isEqualTo(0.9);
        assertThat(record.get("max_new_tokens").intValue()).isEqualTo(64);
    }

    @Test
    void aModelThatIsNoConsumerGroupGoesToPrimaryAndTheAnswerSaysSo() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/v1/chat/completions",
                id, "{\"model\":\"llava-hf/llava-1.5-7b-hf\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));

        JsonNode record = IngestFixture.awaitRecord(Topics.requests(Topics.DEFAULT_CONSUMER_GROUP), id);
        assertThat(record.get("consumer_group").textValue()).isEqualTo(Topics.DEFAULT_CONSUMER_GROUP);
        ingest.result(completed(id, Texts.of("Hello."), FinishReason.STOP, Usage.of(3, 2)));
        assertThat(json(await(response).body()).get("model").textValue()).isEqualTo(Topics.DEFAULT_CONSUMER_GROUP);
    }

    @Test
    void aModelNamingGroupAndAdapterSendsTheLoraIdAndTheAnswerEchoesIt() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/v1/chat/completions",
                id, "{\"model\":\"" + group + ":receipts\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));

        JsonNode record = ingest.awaitRequest(id);
        assertThat(record.get("consumer_group").textValue()).isEqualTo(group);
        assertThat(record.get("lora_id").textValue()).isEqualTo("receipts");
        ingest.result(completed(id, Texts.of("Hello."), FinishReason.STOP, Usage.of(3, 2)));
        assertThat(json(await(response).body()).get("model").textValue()).isEqualTo(group + ":receipts");

        // lora_id in the body does the same with the plain group name
        String explicit = newRequestId();
        CompletableFuture<HttpResponse<String>> second = ingest.sendAsync(ingest.jsonRequest("/v1/chat/completions",
                explicit, "{\"model\":\"" + group + "\",\"lora_id\":\"menus\","
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));
        assertThat(ingest.awaitRequest(explicit).get("lora_id").textValue()).isEqualTo("menus");
        ingest.result(completed(explicit, Texts.of("Hello."), FinishReason.STOP, Usage.of(3, 2)));
        assertThat(await(second).statusCode()).isEqualTo(200);

        // contradicting each other: 400, nothing published
        String contradicting = newRequestId();
        HttpResponse<String> refused = ingest.send(ingest.jsonRequest("/v1/chat/completions", contradicting,
                "{\"model\":\"" + group + ":receipts\",\"lora_id\":\"menus\","
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(json(refused.body()).at("/error/message").textValue()).contains("'receipts'", "'menus'");
        ingest.assertNothingPublished(contradicting);
    }

    @Test
    void aColonInAModelThatNamesNoGroupIsNoAdapter() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/v1/chat/completions",
                id, "{\"model\":\"llava:7b\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));

        JsonNode record = IngestFixture.awaitRecord(Topics.requests(Topics.DEFAULT_CONSUMER_GROUP), id);
        assertThat(record.get("consumer_group").textValue()).isEqualTo(Topics.DEFAULT_CONSUMER_GROUP);
        assertThat(record.has("lora_id")).isFalse();
        ingest.result(completed(id, Texts.of("Hello."), FinishReason.STOP, Usage.of(3, 2)));
        assertThat(json(await(response).body()).get("model").textValue()).isEqualTo(Topics.DEFAULT_CONSUMER_GROUP);
    }

    @Test
    void aConversationIsPassedOnWithItsRoles() {
        String id = newRequestId();
        ingest.sendAsync(ingest.jsonRequest("/v1/chat/completions", id, "{\"model\":\"" + group + "\",\"messages\":["
                + "{\"role\":\"system\",\"content\":\"Answer in one word.\"},"
                + "{\"role\":\"user\",\"content\":\"What animal is this?\"},"
                + "{\"role\":\"assistant\",\"content\":\"Cat.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"And its colour?\"}]}]}"));

        assertThat(ingest.awaitRequest(id).get("messages").toString()).isEqualTo("["
                + "{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"Answer in one word.\"}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What animal is this?\"}]},"
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Cat.\"}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"And its colour?\"}]}]");
    }

    @Test
    void aRemoteImageWhileRemoteImagesAreOffIsAnOpenAiShapedError() {
        String id = newRequestId();
        HttpResponse<String> response = ingest.send(ingest.jsonRequest("/v1/chat/completions", id, "{\"model\":\""
                + group + "\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What?\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://images.example.com/cat.jpg\"}}]}]}"));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"remote_images_disabled\",\"message\":"
                + "\"remote image URLs are disabled on this server (TAKEOFF_ALLOW_REMOTE_IMAGES=false); send the image "
                + "inline as a data: URL\",\"type\":\"invalid_request_error\",\"param\":null}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void anUnsupportedParameterIsRefused() {
        String id = newRequestId();
        HttpResponse<String> response = ingest.send(ingest.jsonRequest("/v1/chat/completions", id, "{\"model\":\""
                + group + "\",\"stop\":[\"\\n\"],\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).isEqualTo("{\"error\":{\"code\":\"unsupported_parameter\",\"message\":"
                + "\"stop: stop sequences are not supported\",\"type\":\"invalid_request_error\",\"param\":null}}");
        ingest.assertNothingPublished(id);
    }

    @Test
    void aReplayWithDifferentTextEndsTheStreamWithAnErrorObjectAndNoDone() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/v1/chat/completions",
                id, "{\"model\":\"" + group + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));
        ingest.awaitRequest(id);
        ingest.token("w1-1", id, 0, 0, "Hello");
        ingest.token("w2-1", id, 0, 0, "Hi");

        String[] events = await(response).body().split("\n\n");
        assertThat(events).hasSize(3);
        assertThat(json(events[1].substring("data: ".length())).get("choices").get(0).get("delta").get("content")
                .asText()).isEqualTo("Hello");
        assertThat(json(events[2].substring("data: ".length())).get("error").get("code").asText())
                .isEqualTo("stream_restarted");
    }

    @Test
    void aStreamThatFailsEndsWithAnErrorObjectAndNoDone() {
        String id = newRequestId();
        CompletableFuture<HttpResponse<String>> response = ingest.sendAsync(ingest.jsonRequest("/v1/chat/completions",
                id, "{\"model\":\"" + group + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"));
        ingest.awaitRequest(id);
        ingest.lastToken(id, 0, 0, "", FinishReason.ERROR);
        ingest.result(failed(id, "inference_failed", "the engine crashed"));

        String body = await(response).body();
        String[] events = body.split("\n\n");
        assertThat(events).hasSize(2);
        ObjectNode first = (ObjectNode) json(events[0].substring("data: ".length()));
        assertThat(first.get("choices").get(0).get("delta")).isEqualTo(json("{\"role\":\"assistant\",\"content\":\"\"}"));
        assertThat(events[1]).isEqualTo("data: {\"error\":{\"code\":\"inference_failed\",\"message\":\"the engine "
                + "crashed\",\"type\":\"server_error\",\"param\":null}}");
    }
}
