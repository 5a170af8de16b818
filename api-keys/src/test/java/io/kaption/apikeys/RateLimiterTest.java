package io.kaption.apikeys;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void admitsABurstOfOneSecondThenTheRate() {
        RateLimiter limiter = new RateLimiter(2, now::get);

        assertThat(limiter.acquire("a")).isEmpty();
        assertThat(limiter.acquire("a")).isEmpty();
        assertThat(limiter.acquire("a")).hasValue(500);
        now.addAndGet(250_000_000L);
        assertThat(limiter.acquire("a")).hasValue(250);
        now.addAndGet(250_000_000L);
        assertThat(limiter.acquire("a")).isEmpty();
        assertThat(limiter.acquire("a")).isPresent();
    }

    @Test
    void keysHaveTheirOwnBuckets() {
        RateLimiter limiter = new RateLimiter(1, now::get);

        assertThat(limiter.acquire("a")).isEmpty();
        assertThat(limiter.acquire("a")).hasValue(1000);
        assertThat(limiter.acquire("b")).isEmpty();
    }

    @Test
    void slowRatesAdmitOneAtATime() {
        RateLimiter limiter = new RateLimiter(0.5, now::get);

        assertThat(limiter.acquire("a")).isEmpty();
        assertThat(limiter.acquire("a")).hasValue(2000);
        ApiAccess.Decision.RateLimited limited = new ApiAccess.Decision.RateLimited(
                new ApiKey("key-x", java.util.Set.of()), 1001);
        assertThat(limited.retryAfterSeconds()).isEqualTo(2);
    }
}
