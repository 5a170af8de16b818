package io.kaption.apikeys;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * {@code KAPTION_API_RATE_LIMIT}: requests per second per key, as a token bucket per key fingerprint that holds one
 * second's worth of requests (at least one), so a key may burst up to its rate and then gets its rate on average.
 * Per process: N replicas behind a load balancer admit up to N times the rate.
 *
 * <p>A token bucket is a dozen lines; a library (Bucket4j) would bring its own configuration model for no gain here.
 */
public final class RateLimiter {

    public static final String VARIABLE = "KAPTION_API_RATE_LIMIT";

    private final double perSecond;
    private final double capacity;
    private final LongSupplier nanoTime;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** @param perSecond requests per second per key, positive */
    public RateLimiter(double perSecond, LongSupplier nanoTime) {
        if (!(perSecond > 0) || !Double.isFinite(perSecond)) {
            throw new IllegalArgumentException(VARIABLE + " must be a positive number, got " + perSecond);
        }
        this.perSecond = perSecond;
        this.capacity = Math.max(1, perSecond);
        this.nanoTime = nanoTime;
    }

    public double perSecond() {
        return perSecond;
    }

    /**
     * Takes one request of {@code fingerprint}'s allowance: empty when admitted, else how many milliseconds until the
     * next request would be.
     */
    public OptionalLong acquire(String fingerprint) {
        Bucket bucket = buckets.computeIfAbsent(fingerprint, f -> new Bucket(capacity, nanoTime.getAsLong()));
        synchronized (bucket) {
            long now = nanoTime.getAsLong();
            bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.updatedNanos) * perSecond / 1e9);
            bucket.updatedNanos = now;
            if (bucket.tokens >= 1) {
                bucket.tokens -= 1;
                return OptionalLong.empty();
            }
            return OptionalLong.of((long) Math.ceil((1 - bucket.tokens) / perSecond * 1000));
        }
    }

    private static final class Bucket {
        double tokens;
        long updatedNanos;

        Bucket(double tokens, long updatedNanos) {
            this.tokens = tokens;
            this.updatedNanos = updatedNanos;
        }
    }
}
