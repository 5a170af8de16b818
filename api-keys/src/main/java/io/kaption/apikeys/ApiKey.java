package io.kaption.apikeys;

import java.util.Objects;
import java.util.Set;

/**
 * An authenticated API key as the services know it: its fingerprint and the consumer groups it may use. The secret
 * itself is never kept here, so that it can be logged, stored with a job and compared without a second thought.
 *
 * @param fingerprint {@code key-} + the first 16 hex characters of the key's SHA-256: names the key in logs and
 *                    job records (the key cannot be recovered from it, as long as keys are long random strings)
 * @param groups      the consumer groups the key may use; empty means every group
 */
public record ApiKey(String fingerprint, Set<String> groups) {

    public ApiKey {
        Objects.requireNonNull(fingerprint, "fingerprint");
        groups = Set.copyOf(groups);
    }

    /** Whether this key may send requests to (and see) consumer group {@code group}. */
    public boolean mayUse(String group) {
        return groups.isEmpty() || groups.contains(group);
    }
}
