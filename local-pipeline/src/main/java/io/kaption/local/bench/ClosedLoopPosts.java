package io.kaption.local.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A closed-loop load generator: {@code concurrency} keep-alive connections, each posting the same body again as soon
 * as its previous answer arrived, for a given time. Runs on one Vert.x event loop: the load generator shares the
 * machine with the service it measures, and the JDK's {@code HttpClient} spent as much CPU per request as the ingest
 * service itself (per-thread CPU, docs/PERFORMANCE.md), which a benchmark of the service should not charge it.
 */
final class ClosedLoopPosts implements AutoCloseable {

    /** Answers counted by their status: {@code expected} and every other status or failure. */
    record Counts(long expected, long other) {}

    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    private final HttpClientAgent client;
    private final URI target;
    private final int concurrency;

    private final long eventLoopThreadId;

    ClosedLoopPosts(URI target, int concurrency) throws Exception {
        this.target = target;
        this.concurrency = concurrency;
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(concurrency));
        CompletableFuture<Long> threadId = new CompletableFuture<>();
        vertx.runOnContext(ignored -> threadId.complete(Thread.currentThread().getId()));
        this.eventLoopThreadId = threadId.get(30, TimeUnit.SECONDS);
    }

    /** CPU time the client's event loop has used so far (ns): the share of this JVM's CPU that is the load generator. */
    long cpuNanos() {
        return ManagementFactory.getThreadMXBean().getThreadCpuTime(eventLoopThreadId);
    }

    /** Posts {@code body} for {@code duration}; requests still in flight then are waited for and counted. */
    Counts run(String body, int expectedStatus, Duration duration) throws InterruptedException {
        Buffer payload = Buffer.buffer(body);
        RequestOptions post = new RequestOptions().setMethod(HttpMethod.POST).setHost(target.getHost())
                .setPort(target.getPort()).setURI(target.getRawPath()).putHeader("Content-Type", "application/json")
                // A request the service never answers fails (and is counted) instead of holding the run forever.
                .setIdleTimeout(TimeUnit.MINUTES.toMillis(1));
        AtomicLong expected = new AtomicLong();
        AtomicLong other = new AtomicLong();
        CountDownLatch done = new CountDownLatch(concurrency);
        long end = System.nanoTime() + duration.toNanos();
        vertx.runOnContext(start -> {
            for (int i = 0; i < concurrency; i++) {
                loop(post, payload, end, expectedStatus, expected, other, done);
            }
        });
        done.await();
        return new Counts(expected.get(), other.get());
    }

    private void loop(RequestOptions post, Buffer payload, long end, int expectedStatus, AtomicLong expected,
            AtomicLong other, CountDownLatch done) {
        if (System.nanoTime() >= end) {
            done.countDown();
            return;
        }
        client.request(post)
                .compose(request -> request.send(payload))
                .compose(response -> response.body().map(ignored -> response.statusCode()))
                .onComplete(status -> {
                    if (status.succeeded() && status.result() == expectedStatus) {
                        expected.incrementAndGet();
                    } else {
                        other.incrementAndGet();
                    }
                    loop(post, payload, end, expectedStatus, expected, other, done);
                });
    }

    @Override
    public void close() throws Exception {
        // Closing Vert.x closes the client with it, without the grace period a client's own close waits.
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
