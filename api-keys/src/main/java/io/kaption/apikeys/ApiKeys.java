package io.kaption.apikeys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The keys of {@code KAPTION_API_KEYS}: comma-separated entries, or {@code @/path/to/file} with one entry per line
 * (blank lines and lines starting with {@code #} are skipped). An entry is a key, optionally followed by the consumer
 * groups it may use: {@code key:group1|group2}; without groups a key may use every group.
 *
 * <p>Only SHA-256 digests of the keys are kept. A presented key is digested and compared with every known digest by
 * {@link MessageDigest#isEqual} (constant time), without stopping at a match, so that the time taken says nothing about
 * which key, or which prefix of one, was right. Error messages name entries by their position, never by their text.
 */
public final class ApiKeys {

    public static final String VARIABLE = "KAPTION_API_KEYS";
    private static final Pattern GROUP = Pattern.compile("[a-zA-Z0-9._-]+");
    // Printable ASCII without space and the separators of the syntax: what a header value can carry unquoted.
    private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e&&[^,:|#]]+");

    private record Entry(byte[] digest, ApiKey key) {
    }

    private static final ApiKeys NONE = new ApiKeys(List.of());

    private final List<Entry> entries;

    private ApiKeys(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** No keys: every route is open. */
    public static ApiKeys none() {
        return NONE;
    }

    /**
     * The keys in {@code value}, the variable's raw value: entries, or {@code @path} of a file of entries. Null or
     * blank means no keys.
     *
     * @throws IllegalArgumentException naming the variable and the entry's position for anything malformed, an
     *                                  unreadable file, a file without entries, or a key given twice
     */
    public static ApiKeys parse(String value) {
        if (value == null || value.isBlank()) {
            return none();
        }
        String trimmed = value.strip();
        List<String> lines;
        String where;
        if (trimmed.startsWith("@")) {
            Path file = Path.of(trimmed.substring(1).strip());
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException(VARIABLE + ": cannot read the key file " + file + ": " + e, e);
            }
            lines = lines.stream().map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
            where = "line";
            if (lines.isEmpty()) {
                throw new IllegalArgumentException(VARIABLE + ": the key file " + file + " holds no keys");
            }
        } else {
            lines = Arrays.stream(trimmed.split(",", -1)).map(String::strip).toList();
            where = "entry";
        }
        List<Entry> entries = new ArrayList<>();
        Set<String> fingerprints = new LinkedHashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            Entry entry = entry(lines.get(i), VARIABLE + ": " + where + " " + (i + 1));
            if (!fingerprints.add(entry.key().fingerprint())) {
                throw new IllegalArgumentException(VARIABLE + ": " + where + " " + (i + 1)
                        + " repeats an earlier key (" + entry.key().fingerprint() + ")");
            }
            entries.add(entry);
        }
        return new ApiKeys(entries);
    }

    private static Entry entry(String text, String at) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException(at + " is empty");
        }
        int colon = text.indexOf(':');
        String key = colon < 0 ? text : text.substring(0, colon).strip();
        if (!KEY.matcher(key).matches()) {
            throw new IllegalArgumentException(at + ": a key is printable ASCII without spaces, ',', ':', '|' or '#'");
        }
        Set<String> groups = new LinkedHashSet<>();
        if (colon >= 0) {
            for (String group : text.substring(colon + 1).split("\\|", -1)) {
                String name = group.strip();
                if (!GROUP.matcher(name).matches()) {
                    throw new IllegalArgumentException(at + ": after ':' come consumer groups separated by '|', each "
                            + "of [a-zA-Z0-9._-]; got '" + name + "'");
                }
                groups.add(name);
            }
        }
        return new Entry(sha256(key), new ApiKey(fingerprint(key), groups));
    }

    /** Whether keys are required (at least one is configured). */
    public boolean enabled() {
        return !entries.isEmpty();
    }

    public int size() {
        return entries.size();
    }

    /** The key {@code presented} is, if it is one of these; compares with every key in constant time. */
    public Optional<ApiKey> authenticate(String presented) {
        if (presented == null || presented.isEmpty()) {
            return Optional.empty();
        }
        byte[] digest = sha256(presented);
        ApiKey found = null;
        for (Entry entry : entries) {
            if (MessageDigest.isEqual(entry.digest(), digest)) {
                found = entry.key();
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * The key a request presents: {@code Authorization: Bearer <key>} (what OpenAI's SDKs send), else
     * {@code X-API-Key: <key>}; empty when neither header carries one.
     */
    public static Optional<String> presented(String authorization, String xApiKey) {
        if (authorization != null) {
            String value = authorization.strip();
            if (value.length() > 7 && value.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
                String token = value.substring(7).strip();
                if (!token.isEmpty()) {
                    return Optional.of(token);
                }
            }
        }
        if (xApiKey != null && !xApiKey.isBlank()) {
            return Optional.of(xApiKey.strip());
        }
        return Optional.empty();
    }

    /** {@code key-} + the first 16 hex characters of SHA-256 of {@code key}. */
    public static String fingerprint(String key) {
        return "key-" + HexFormat.of().formatHex(sha256(key)).substring(0, 16);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "ApiKeys[" + entries.size() + " keys]"; // never the keys
    }
}
