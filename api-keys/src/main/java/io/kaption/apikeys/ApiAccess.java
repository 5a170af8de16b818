package io.kaption.apikeys;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Who may call a service's API: {@code KAPTION_API_KEYS} and {@code KAPTION_API_RATE_LIMIT}. Without keys every route
 * is open and there is no rate limit (it is per key).
 *
 * @param keys        the configured keys; {@link ApiKeys#none()} when the variable is unset
 * @param rateLimiter the per-key limit, when {@code KAPTION_API_RATE_LIMIT} is set
 */
public record ApiAccess(ApiKeys keys, Optional<RateLimiter> rateLimiter) {

    public ApiAccess {
        if (rateLimiter.isPresent() && !keys.enabled()) {
            throw new IllegalArgumentException(RateLimiter.VARIABLE + " is a limit per API key: it needs "
                    + ApiKeys.VARIABLE);
        }
    }

    /** No keys, no limit. */
    public static ApiAccess open() {
        return new ApiAccess(ApiKeys.none(), Optional.empty());
    }

    public static ApiAccess fromEnvironment(Map<String, String> env) {
        ApiKeys keys = ApiKeys.parse(env.get(ApiKeys.VARIABLE));
        String rate = env.get(RateLimiter.VARIABLE);
        if (rate == null || rate.isBlank()) {
            return new ApiAccess(keys, Optional.empty());
        }
        double perSecond;
        try {
            perSecond = Double.parseDouble(rate.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(RateLimiter.VARIABLE + " must be a number of requests per second, got '"
                    + rate + "'", e);
        }
        return new ApiAccess(keys, Optional.of(new RateLimiter(perSecond, System::nanoTime)));
    }

    /** Whether keys are required. */
    public boolean enabled() {
        return keys.enabled();
    }

    /**
     * Checks the key a request presented.
     *
     * @param presented the key from the request's headers ({@link ApiKeys#presented}), if any
     */
    public Decision check(Optional<String> presented) {
        if (!keys.enabled()) {
            return new Decision.Admitted(Optional.empty());
        }
        if (presented.isEmpty()) {
            return new Decision.Unauthenticated("missing_api_key", "this endpoint needs an API key: "
                    + "'Authorization: Bearer <key>' or 'X-API-Key: <key>'");
        }
        Optional<ApiKey> key = keys.authenticate(presented.get());
        if (key.isEmpty()) {
            return new Decision.Unauthenticated("invalid_api_key", "the API key is not valid");
        }
        if (rateLimiter.isPresent()) {
            OptionalLong wait = rateLimiter.get().acquire(key.get().fingerprint());
            if (wait.isPresent()) {
                return new Decision.RateLimited(key.get(), wait.getAsLong());
            }
        }
        return new Decision.Admitted(key);
    }

    /** What {@link #check} decided. */
    public sealed interface Decision {

        /** Go ahead; {@code key} is empty when keys are off. */
        record Admitted(Optional<ApiKey> key) implements Decision {
        }

        /** 401: no key, or not a known one. */
        record Unauthenticated(String code, String message) implements Decision {
        }

        /** 429: the key used up its allowance; {@code retryAfterMillis} until the next request would pass. */
        record RateLimited(ApiKey key, long retryAfterMillis) implements Decision {

            /** Whole seconds for {@code Retry-After}, at least 1. */
            public long retryAfterSeconds() {
                return Math.max(1, (retryAfterMillis + 999) / 1000);
            }
        }
    }
}
