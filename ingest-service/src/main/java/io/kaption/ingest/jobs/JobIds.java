package io.kaption.ingest.jobs;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Job ids: {@code job-} + 32 hex characters. With a client token they are derived from the consumer group and the
 * token (the first 32 hex characters of SHA-256 of {@code <consumer_group>\n<client_token>}), so that every replica
 * gives a resubmission the same id; without one they are random.
 */
public final class JobIds {

    public static final String PREFIX = "job-";
    private static final SecureRandom RANDOM = new SecureRandom();

    private JobIds() {
    }

    public static String forClientToken(String consumerGroup, String clientToken) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((consumerGroup + "\n" + clientToken).getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(digest).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    public static String random() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return PREFIX + HexFormat.of().formatHex(bytes);
    }
}
