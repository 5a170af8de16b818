package io.kaption.ingest.files;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Ids of files and batches: {@code <prefix><12 hex: time descending><16 hex>}. The first part counts down with the
 * creation time, so that S3's listing order (ascending keys) is newest first, which is the order OpenAI's lists
 * have, and a cursor ({@code after}) is a plain {@code StartAfter}.
 */
public final class ObjectIds {

    /** 2^48 - 1 milliseconds: about the year 10889. */
    private static final long LAST_MILLI = 0xFFFF_FFFF_FFFFL;
    private static final SecureRandom RANDOM = new SecureRandom();

    private ObjectIds() {
    }

    public static String random(String prefix, Instant createdAt) {
        byte[] tail = new byte[8];
        RANDOM.nextBytes(tail);
        return prefix + timePart(createdAt) + HexFormat.of().formatHex(tail);
    }

    /**
     * An id derived from {@code seed} (the same seed gives the same id, so a step that is done again after a crash
     * writes to the same objects), ordered like the ids created at {@code createdAt}.
     */
    public static String derived(String prefix, Instant createdAt, String seed) {
        return prefix + timePart(createdAt) + sha256Hex(seed).substring(0, 16);
    }

    public static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static String timePart(Instant createdAt) {
        return String.format("%012x", LAST_MILLI - createdAt.toEpochMilli());
    }
}
