package io.kaption.ingest.auth;

import io.kaption.apikeys.ApiAccess;
import io.kaption.apikeys.ApiKeys;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.HttpExchange;
import io.vertx.core.http.HttpHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Predicate;

/**
 * Admits a request to an API route when API keys are off, or when it presents a known key
 * ({@code Authorization: Bearer} or {@code X-API-Key}) within that key's rate limit; records the key on the exchange
 * for the group checks and job ownership of the handlers. Otherwise answers 401 ({@code WWW-Authenticate: Bearer})
 * or 429 ({@code Retry-After}) in the route's error shape. Keys are never logged; their fingerprints are.
 */
public final class ApiKeyGuard implements Predicate<HttpExchange> {

    private static final Logger LOG = LoggerFactory.getLogger(ApiKeyGuard.class);

    private final ApiAccess access;

    public ApiKeyGuard(ApiAccess access) {
        this.access = access;
    }

    @Override
    public boolean test(HttpExchange exchange) {
        ApiAccess.Decision decision = access.check(ApiKeys.presented(
                exchange.request().getHeader("Authorization"), exchange.request().getHeader("X-API-Key")));
        if (decision instanceof ApiAccess.Decision.Admitted admitted) {
            admitted.key().ifPresent(exchange::apiKey);
            return true;
        }
        if (decision instanceof ApiAccess.Decision.Unauthenticated refused) {
            LOG.info("request_id={} refused: {}", exchange.requestId(), refused.code());
            exchange.response().putHeader("WWW-Authenticate", "Bearer");
            exchange.fail(new ApiException(401, refused.code(), refused.message()));
            return false;
        }
        ApiAccess.Decision.RateLimited limited = (ApiAccess.Decision.RateLimited) decision;
        exchange.apiKey(limited.key());
        exchange.response().putHeader("Retry-After", Long.toString(limited.retryAfterSeconds()));
        exchange.fail(new ApiException(429, "rate_limited", "this API key is limited to "
                + access.rateLimiter().orElseThrow().perSecond() + " requests per second; retry after "
                + limited.retryAfterSeconds() + " s"));
        return false;
    }
}
