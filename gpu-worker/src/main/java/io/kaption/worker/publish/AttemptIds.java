package io.kaption.worker.publish;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ids of attempts, the {@code attempt} of token events: {@code <worker instance>-<n>}. The instance part is random per
 * worker process, so a request redelivered to another worker, or to this one after a restart or a rebalance, never
 * shares an attempt id with an earlier processing of it; readers tell the interleaved events of two attempts apart.
 */
final class AttemptIds {

    private static final String INSTANCE = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    private static final AtomicLong NEXT = new AtomicLong();

    private AttemptIds() {}

    static String next() {
        return INSTANCE + "-" + NEXT.incrementAndGet();
    }
}
