package io.kaption.events;

import static io.kaption.events.Events.chunk;
import static io.kaption.events.Events.completed;
import static io.kaption.events.Events.last;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kaption.localstack.junit.SharedInfrastructure;
import io.kaption.schemas.GenerationResult;
import io.kaption.schemas.TokenEvent;
import io.kaption.schemas.serde.ContractCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The hub against the real shared broker, with records written by a real producer. */
@ExtendWith(SharedInfrastructure.class)
class RequestEventHubIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Long enough that only the hub catching up with the tokens topic can settle a result in these tests. */
    private static final Duration NEVER = Duration.ofMinutes(10);

    private static KafkaProducer<String, byte[]> producer;
    private final List<RequestEventHub> hubs = new ArrayList<>();
    private String tokensTopic;
    private String resultsTopic;

    @BeforeAll
    static void startProducer() {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedInfrastructure.kafkaBootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
    }

    @AfterAll
    static void stopProducer() {
        producer.close();
    }

    @AfterEach
    void closeHubs() {
        hubs.forEach(RequestEventHub::close);
    }

    @Test
    void subscribersBeforeDuringAndAfterTheStreamAllSeeEveryTokenOnceThenTheResult() {
        createTopics(3, 2);
        RequestEventHub hub = startHub();
        String requestId = "req-" + UUID.randomUUID();
        RecordingListener before = new RecordingListener();
        hub.subscribe(requestId, -1, before);
        assertThat(hub.subscriptionCount()).isEqualTo(1);

        List<Long> offsets = new ArrayList<>();
        offsets.add(sendToken(chunk(requestId, 0, 0)));
        offsets.add(sendToken(chunk(requestId, 1, 0)));
        offsets.add(sendToken(chunk(requestId, 0, 1)));
        await().atMost(WAIT).until(() -> before.offsets.size() == 3);
        RecordingListener during = new RecordingListener();
        hub.subscribe(requestId, -1, during);
        assertThat(during.offsets).isEqualTo(offsets);
        offsets.add(sendToken(last(requestId, 0, 2)));
        offsets.add(sendToken(last(requestId, 1, 1)));
        GenerationResult result = completed(requestId, List.of("t0.0t0.1", "t1.0"));
        sendResult(result);

        await().atMost(WAIT).until(() -> before.results.size() == 1 && during.results.size() == 1);
        RecordingListener after = new RecordingListener();
        hub.subscribe(requestId, -1, after);
        for (RecordingListener listener : List.of(before, during, after)) {
            assertThat(listener.offsets).isEqualTo(offsets);
            assertThat(listener.tokens).containsExactly(chunk(requestId, 0, 0), chunk(requestId, 1, 0),
                    chunk(requestId, 0, 1), last(requestId, 0, 2), last(requestId, 1, 1));
            assertThat(listener.results).containsExactly(result);
            assertThat(listener.calls.get(listener.calls.size() - 1)).isEqualTo("result");
            assertThat(listener.violations).isEmpty();
        }
        assertThat(hub.subscriptionCount()).isZero();
    }

    @Test
    void resumesAfterAGivenOffset() {
        createTopics(2, 1);
        RequestEventHub hub = startHub();
        String requestId = "req-" + UUID.randomUUID();
        long first = sendToken(chunk(requestId, 0, 0));
        long second = sendToken(chunk(requestId, 0, 1));
        long third = sendToken(last(requestId, 0, 2));
        sendResult(completed(requestId, "t0.0t0.1"));
        await().atMost(WAIT).until(() -> hub.result(requestId).isDone());

        RecordingListener resumed = new RecordingListener();
        hub.subscribe(requestId, first, resumed);

        assertThat(resumed.offsets).containsExactly(second, third);
        assertThat(resumed.calls).endsWith("result");
    }

    @Test
    void aNonStreamingResultIsDeliveredOnceTheHubHasCaughtUpWithTheTokens() throws Exception {
        createTopics(3, 3);
        RequestEventHub hub = startHub();
        String requestId = "req-" + UUID.randomUUID();
        RecordingListener subscriber = new RecordingListener();
        hub.subscribe(requestId, -1, subscriber);
        CompletableFuture<GenerationResult> waiting = hub.result(requestId);
        assertThat(hub.subscriptionCount()).isEqualTo(2);

        GenerationResult result = completed(requestId, "a caption");
        sendResult(result);

        // The grace period is ten minutes here: only the caught-up check can have settled it.
        assertThat(waiting.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(result);
        await().atMost(WAIT).until(() -> subscriber.results.size() == 1);
        assertThat(subscriber.calls).containsExactly("result");
        assertThat(hub.subscriptionCount()).isZero();
    }

    @Test
    void aRestartedHubServesTheHistoryOfItsWindow() throws Exception {
        createTopics(2, 2);
        String requestId = "req-" + UUID.randomUUID();
        long first = sendToken(chunk(requestId, 0, 0));
        long second = sendToken(last(requestId, 0, 1));
        GenerationResult result = completed(requestId, "t0.0");
        sendResult(result);
        RequestEventHub firstHub = startHub();
        assertThat(firstHub.result(requestId).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(result);
        firstHub.close();

        RequestEventHub restarted = startHub();
        RecordingListener listener = new RecordingListener();
        restarted.subscribe(requestId, -1, listener);

        await().atMost(WAIT).until(() -> listener.results.size() == 1);
        assertThat(listener.offsets).containsExactly(first, second);
        assertThat(listener.results).containsExactly(result);
        assertThat(restarted.result(requestId).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(result);
    }

    @Test
    void aRestartedHubIsReadyOnlyOnceItHasReadItsHistoryWindow() {
        createTopics(1, 1);
        List<String> requestIds = new ArrayList<>();
        for (int i = 0; i < 3000; i++) { // several polls' worth (max.poll.records 500)
            String requestId = "req-" + i + "-" + UUID.randomUUID();
            requestIds.add(requestId);
            producer.send(new ProducerRecord<>(resultsTopic, requestId,
                    ContractCodec.RESULTS.encode(completed(requestId, "t"))));
        }
        producer.flush();

        RequestEventHub hub = startHub();
        await().atMost(WAIT).until(hub::isReady);

        String last = requestIds.get(requestIds.size() - 1);
        assertThat(hub.result(last)).as("the newest result of the window, known once ready").isDone();
    }

    @Test
    void startsReadingAtTheBeginningOfTheHistoryWindow() throws Exception {
        createTopics(1, 1);
        String requestId = "req-" + UUID.randomUUID();
        long anHourAgo = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
        sendToken(chunk(requestId, 0, 0), anHourAgo);
        long recent = sendToken(last(requestId, 0, 1));
        sendResult(completed(requestId, "t0.0"));

        RequestEventHub hub = startHub();
        RecordingListener listener = new RecordingListener();
        hub.subscribe(requestId, -1, listener);

        await().atMost(WAIT).until(() -> listener.results.size() == 1);
        assertThat(listener.offsets).containsExactly(recent);
        assertThat(listener.restarts).as("the chunk before the window is unknown: the result's text comes as a restart")
                .containsExactly(new StreamRestart(requestId, 0, "t0.0", io.kaption.schemas.FinishReason.STOP));
    }

    @Test
    void waitsForTopicsCreatedAfterItStartedAndPicksUpAddedPartitions() throws Exception {
        tokensTopic = "kaption.tokens.it-" + UUID.randomUUID();
        resultsTopic = "kaption.results.it-" + UUID.randomUUID();
        RequestEventHub hub = startHub();
        String early = "req-" + UUID.randomUUID();
        RecordingListener earlyListener = new RecordingListener();
        hub.subscribe(early, -1, earlyListener);
        assertThat(hub.isReady()).isFalse();

        SharedInfrastructure.createTopic(tokensTopic, 1);
        SharedInfrastructure.createTopic(resultsTopic, 1);
        await().atMost(WAIT).until(hub::isReady);
        long earlyToken = sendToken(last(early, 0, 0));
        sendResult(completed(early, ""));
        await().atMost(WAIT).until(() -> earlyListener.results.size() == 1);
        assertThat(earlyListener.offsets).containsExactly(earlyToken);

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                SharedInfrastructure.kafkaBootstrapServers()))) {
            admin.createPartitions(Map.of(tokensTopic, NewPartitions.increaseTo(2),
                    resultsTopic, NewPartitions.increaseTo(2))).all().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        String late = "req-" + UUID.randomUUID();
        long lateToken = send(new ProducerRecord<>(tokensTopic, 1, late, ContractCodec.TOKENS.encode(last(late, 0, 0))));
        send(new ProducerRecord<>(resultsTopic, 1, late, ContractCodec.RESULTS.encode(completed(late, ""))));
        RecordingListener lateListener = new RecordingListener();
        hub.subscribe(late, -1, lateListener);

        await().atMost(WAIT).until(() -> lateListener.results.size() == 1);
        assertThat(lateListener.offsets).containsExactly(lateToken);
        assertThat(earlyListener.calls).containsExactly("token " + earlyToken, "result"); // nothing read twice
    }

    @Test
    void skipsRecordsThatDoNotDecode() {
        createTopics(1, 1);
        RequestEventHub hub = startHub();
        String requestId = "req-" + UUID.randomUUID();
        RecordingListener listener = new RecordingListener();
        hub.subscribe(requestId, -1, listener);

        send(new ProducerRecord<>(tokensTopic, requestId, "not json".getBytes(StandardCharsets.UTF_8)));
        send(new ProducerRecord<>(tokensTopic, requestId,
                "{\"request_id\":\"x\",\"batch_id\":-1,\"index\":0,\"text\":\"\"}".getBytes(StandardCharsets.UTF_8)));
        long valid = sendToken(last(requestId, 0, 0));
        send(new ProducerRecord<>(resultsTopic, requestId, "{\"request_id\":1}".getBytes(StandardCharsets.UTF_8)));
        GenerationResult result = completed(requestId, "t0.0");
        sendResult(result);

        await().atMost(WAIT).until(() -> listener.results.size() == 1);
        assertThat(listener.offsets).containsExactly(valid);
        assertThat(listener.results).containsExactly(result);
    }

    @Test
    void aListenerThrowingAnErrorDoesNotStopThePollThread() {
        createTopics(1, 1);
        RequestEventHub hub = startHub();
        String broken = "req-" + UUID.randomUUID();
        String requestId = "req-" + UUID.randomUUID();
        hub.subscribe(broken, -1, new RequestEventListener() {
            @Override
            public void onToken(long offset, TokenEvent event) {
                throw new AssertionError("a listener's bug");
            }

            @Override
            public void onRestart(long offset, StreamRestart restart) {
                throw new AssertionError("a listener's bug");
            }

            @Override
            public void onResult(GenerationResult result) {
                throw new AssertionError("a listener's bug");
            }
        });
        RecordingListener listener = new RecordingListener();
        hub.subscribe(requestId, -1, listener);

        sendToken(chunk(broken, 0, 0));
        long token = sendToken(last(requestId, 0, 0));
        GenerationResult result = completed(requestId, "t0.0");
        sendResult(result);

        await().atMost(WAIT).until(() -> listener.results.size() == 1);
        assertThat(listener.offsets).containsExactly(token);
        assertThat(listener.results).containsExactly(result);
    }

    @Test
    void closingTheHubFailsPendingResultLookupsAndRefusesNewSubscriptions() {
        createTopics(1, 1);
        RequestEventHub hub = startHub();
        CompletableFuture<GenerationResult> pending = hub.result("req-" + UUID.randomUUID());

        hub.close();

        assertThatThrownBy(() -> pending.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasMessageContaining("the request event hub is closed");
        assertThatThrownBy(() -> hub.subscribe("any", -1, new RecordingListener()))
                .isInstanceOf(IllegalStateException.class);
    }

    private void createTopics(int tokenPartitions, int resultPartitions) {
        tokensTopic = "kaption.tokens.it-" + UUID.randomUUID();
        resultsTopic = "kaption.results.it-" + UUID.randomUUID();
        SharedInfrastructure.createTopic(tokensTopic, tokenPartitions);
        SharedInfrastructure.createTopic(resultsTopic, resultPartitions);
    }

    private RequestEventHub startHub() {
        RequestEventHub hub = RequestEventHub.start(
                RequestEventHub.Config.defaults(SharedInfrastructure.kafkaBootstrapServers())
                        .withResultGrace(NEVER)
                        .withTopics(tokensTopic, resultsTopic));
        hubs.add(hub);
        return hub;
    }

    private long sendToken(TokenEvent event) {
        return send(new ProducerRecord<>(tokensTopic, event.requestId(), ContractCodec.TOKENS.encode(event)));
    }

    private long sendToken(TokenEvent event, long timestamp) {
        return send(new ProducerRecord<>(tokensTopic, null, timestamp, event.requestId(),
                ContractCodec.TOKENS.encode(event)));
    }

    private void sendResult(GenerationResult result) {
        send(new ProducerRecord<>(resultsTopic, result.requestId(), ContractCodec.RESULTS.encode(result)));
    }

    private static long send(ProducerRecord<String, byte[]> record) {
        try {
            return producer.send(record).get(WAIT.toSeconds(), TimeUnit.SECONDS).offset();
        } catch (Exception e) {
            throw new IllegalStateException("sending to " + record.topic() + " failed", e);
        }
    }
}
