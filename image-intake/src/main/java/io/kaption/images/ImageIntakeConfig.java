package io.kaption.images;

import io.kaption.images.fetch.AllowedHost;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Everything image intake can be told, read from environment variables (see {@code image-intake/README.md}).
 *
 * @param remoteImagesAllowed whether {@code http(s)://} image URLs are fetched at all
 * @param allowedHosts        hosts admitted on purpose even when they resolve to non-public addresses
 * @param imagePathsRoot      the only directory server-side {@code image_paths} may point into; empty refuses them all
 * @param maxBytes            largest encoded image accepted, from any source
 * @param maxPixels           largest width × height accepted, checked from the header before decoding
 * @param fetchTimeout        overall deadline of one remote fetch, redirects included
 * @param connectTimeout      TCP connect timeout of one hop
 * @param readTimeout         longest wait for the next bytes of a response
 * @param maxRedirects        redirect hops followed before giving up
 * @param maxImagesPerRequest most images one request may carry (several images, conversations)
 */
public record ImageIntakeConfig(
        boolean remoteImagesAllowed,
        List<AllowedHost> allowedHosts,
        Optional<Path> imagePathsRoot,
        long maxBytes,
        long maxPixels,
        Duration fetchTimeout,
        Duration connectTimeout,
        Duration readTimeout,
        int maxRedirects,
        int maxImagesPerRequest) {

    public static final String ALLOW_REMOTE_IMAGES = "TAKEOFF_ALLOW_REMOTE_IMAGES";
    public static final String ALLOWED_HOSTS = "KAPTION_REMOTE_IMAGE_ALLOWED_HOSTS";
    public static final String IMAGE_PATHS_ROOT = "KAPTION_IMAGE_PATHS_ROOT";
    public static final String MAX_BYTES = "KAPTION_REMOTE_IMAGE_MAX_BYTES";
    public static final String MAX_PIXELS = "KAPTION_IMAGE_MAX_PIXELS";
    public static final String TIMEOUT_MS = "KAPTION_REMOTE_IMAGE_TIMEOUT_MS";
    public static final String CONNECT_TIMEOUT_MS = "KAPTION_REMOTE_IMAGE_CONNECT_TIMEOUT_MS";
    public static final String READ_TIMEOUT_MS = "KAPTION_REMOTE_IMAGE_READ_TIMEOUT_MS";
    public static final String MAX_REDIRECTS = "KAPTION_REMOTE_IMAGE_MAX_REDIRECTS";
    public static final String MAX_IMAGES_PER_REQUEST = "KAPTION_MAX_IMAGES_PER_REQUEST";

    public static final long DEFAULT_MAX_BYTES = 20L * 1024 * 1024;
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;
    public static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_REDIRECTS = 3;
    public static final int DEFAULT_MAX_IMAGES_PER_REQUEST = 8;

    public ImageIntakeConfig {
        allowedHosts = List.copyOf(allowedHosts);
        requirePositive(MAX_BYTES, maxBytes);
        requirePositive(MAX_PIXELS, maxPixels);
        requirePositive(TIMEOUT_MS, fetchTimeout.toMillis());
        requirePositive(CONNECT_TIMEOUT_MS, connectTimeout.toMillis());
        requirePositive(READ_TIMEOUT_MS, readTimeout.toMillis());
        if (maxBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(MAX_BYTES + " must fit in one Java array, got " + maxBytes);
        }
        requirePositive(MAX_IMAGES_PER_REQUEST, maxImagesPerRequest);
        if (maxRedirects < 0) {
            throw new IllegalArgumentException(MAX_REDIRECTS + " must be 0 or more, got " + maxRedirects);
        }
    }

    /** All defaults: remote images off, no allow-list, {@code image_paths} refused. */
    public static ImageIntakeConfig defaults() {
        return fromEnvironment(Map.of());
    }

    public static ImageIntakeConfig fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** Reads the variables from {@code env}; a malformed value fails fast with the variable's name. */
    public static ImageIntakeConfig fromEnvironment(Map<String, String> env) {
        Function<String, Optional<String>> value =
                name -> Optional.ofNullable(env.get(name)).map(String::strip).filter(v -> !v.isEmpty());
        return new ImageIntakeConfig(
                value.apply(ALLOW_REMOTE_IMAGES).map(v -> parseBoolean(ALLOW_REMOTE_IMAGES, v)).orElse(false),
                value.apply(ALLOWED_HOSTS).map(ImageIntakeConfig::parseAllowedHosts).orElse(List.of()),
                value.apply(IMAGE_PATHS_ROOT).map(Path::of),
                value.apply(MAX_BYTES).map(v -> parseLong(MAX_BYTES, v)).orElse(DEFAULT_MAX_BYTES),
                value.apply(MAX_PIXELS).map(v -> parseLong(MAX_PIXELS, v)).orElse(DEFAULT_MAX_PIXELS),
                value.apply(TIMEOUT_MS).map(v -> millis(TIMEOUT_MS, v)).orElse(DEFAULT_FETCH_TIMEOUT),
                value.apply(CONNECT_TIMEOUT_MS).map(v -> millis(CONNECT_TIMEOUT_MS, v)).orElse(DEFAULT_CONNECT_TIMEOUT),
                value.apply(READ_TIMEOUT_MS).map(v -> millis(READ_TIMEOUT_MS, v)).orElse(DEFAULT_READ_TIMEOUT),
                value.apply(MAX_REDIRECTS).map(v -> parseInt(MAX_REDIRECTS, v)).orElse(DEFAULT_MAX_REDIRECTS),
                value.apply(MAX_IMAGES_PER_REQUEST).map(v -> parseInt(MAX_IMAGES_PER_REQUEST, v))
                        .orElse(DEFAULT_MAX_IMAGES_PER_REQUEST));
    }

    private static List<AllowedHost> parseAllowedHosts(String commaSeparated) {
        try {
            return Arrays.stream(commaSeparated.split(","))
                    .map(String::strip)
                    .filter(entry -> !entry.isEmpty())
                    .map(AllowedHost::parse)
                    .toList();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ALLOWED_HOSTS + ": " + e.getMessage(), e);
        }
    }

    private static boolean parseBoolean(String name, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(name + " must be true or false, got '" + value + "'");
        };
    }

    private static long parseLong(String name, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'", e);
        }
    }

    private static int parseInt(String name, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'", e);
        }
    }

    private static Duration millis(String name, String value) {
        return Duration.ofMillis(parseLong(name, value));
    }

    private static void requirePositive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
