package io.kaption.kit.env;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads configuration from environment variables. A variable that is unset, empty or only white space counts as
 * unset; values are stripped. A malformed value throws {@link IllegalArgumentException} naming the variable, e.g.
 * {@code KAPTION_INGEST_PORT must be a whole number, got 'http'}, so a service fails at start and says why.
 */
public final class Env {

    private final Map<String, String> variables;

    private Env(Map<String, String> variables) {
        this.variables = Objects.requireNonNull(variables, "variables");
    }

    /** The process environment. */
    public static Env system() {
        return new Env(System.getenv());
    }

    /** {@code variables} as the environment, e.g. in tests. */
    public static Env of(Map<String, String> variables) {
        return new Env(variables);
    }

    /** All variables, as given (unstripped): for readers that pick variables by prefix. */
    public Map<String, String> asMap() {
        return variables;
    }

    /** The stripped value, or empty when the variable is unset or blank. */
    public Optional<String> string(String name) {
        return Optional.ofNullable(variables.get(name)).map(String::strip).filter(v -> !v.isEmpty());
    }

    public String string(String name, String fallback) {
        return string(name).orElse(fallback);
    }

    /** A value converted by {@code parse}; an {@link IllegalArgumentException} it throws is prefixed with the name. */
    public <T> Optional<T> parsed(String name, Function<String, T> parse) {
        return string(name).map(value -> {
            try {
                return parse.apply(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
            }
        });
    }

    /** {@code NAME must be a whole number, got '…'} when it does not parse as an {@code int}. */
    public Optional<Integer> integer(String name) {
        return wholeNumber(name, Integer::parseInt);
    }

    public int integer(String name, int fallback) {
        return integer(name).orElse(fallback);
    }

    /** {@code NAME must be a whole number, got '…'} when it does not parse as a {@code long}. */
    public Optional<Long> longInteger(String name) {
        return wholeNumber(name, Long::parseLong);
    }

    public long longInteger(String name, long fallback) {
        return longInteger(name).orElse(fallback);
    }

    /** A whole number from {@code min} to {@code max}: {@code NAME must be an integer from min to max, got '…'}. */
    public long integerIn(String name, long fallback, long min, long max) {
        Optional<String> value = string(name);
        if (value.isEmpty()) {
            return fallback;
        }
        try {
            long parsed = Long.parseLong(value.get());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be an integer from " + min + " to " + max + ", got '"
                + value.get() + "'");
    }

    /** {@code true} or {@code false} in any case: {@code NAME must be true or false, got '…'}. */
    public Optional<Boolean> bool(String name) {
        return string(name).map(value -> switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(name + " must be true or false, got '" + value + "'");
        });
    }

    public boolean bool(String name, boolean fallback) {
        return bool(name).orElse(fallback);
    }

    /** A duration in milliseconds (a whole number). */
    public Optional<Duration> millis(String name) {
        return longInteger(name).map(Duration::ofMillis);
    }

    public Duration millis(String name, Duration fallback) {
        return millis(name).orElse(fallback);
    }

    /** A duration in seconds (a whole number). */
    public Optional<Duration> seconds(String name) {
        return longInteger(name).map(Duration::ofSeconds);
    }

    public Duration seconds(String name, Duration fallback) {
        return seconds(name).orElse(fallback);
    }

    /** Any URI; {@code NAME must be a URI, got '…'} when it does not parse. */
    public Optional<URI> uri(String name) {
        return string(name).map(value -> {
            try {
                return new URI(value);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException(name + " must be a URI, got '" + value + "'", e);
            }
        });
    }

    /**
     * An absolute {@code http(s)} URL with a host, a trailing slash removed:
     * {@code NAME must be an http(s) URL, got '…'}.
     */
    public Optional<URI> httpUrl(String name) {
        return string(name).map(value -> {
            try {
                URI uri = new URI(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                    return uri;
                }
            } catch (URISyntaxException e) {
                // reported below
            }
            throw new IllegalArgumentException(name + " must be an http(s) URL, got '" + value + "'");
        });
    }

    /**
     * One of the constants of {@code type}, by name in any case ({@code float16} for {@code FLOAT16}):
     * {@code NAME must be a or b, got '…'}.
     */
    public <E extends Enum<E>> Optional<E> enumValue(String name, Class<E> type) {
        return string(name).map(value -> {
            for (E constant : type.getEnumConstants()) {
                if (constant.name().equalsIgnoreCase(value)) {
                    return constant;
                }
            }
            List<String> names = Arrays.stream(type.getEnumConstants())
                    .map(c -> c.name().toLowerCase(Locale.ROOT)).toList();
            throw new IllegalArgumentException(name + " must be " + oneOf(names) + ", got '" + value + "'");
        });
    }

    /** Comma-separated entries, each stripped; empty entries are dropped. Unset: an empty list. */
    public List<String> list(String name) {
        return string(name)
                .map(value -> Arrays.stream(value.split(",")).map(String::strip).filter(e -> !e.isEmpty()).toList())
                .orElse(List.of());
    }

    /** Throws {@code NAME must be positive, got N} unless {@code value > 0}. */
    public static void requirePositive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    /** Throws {@code NAME must be at least 1, got N} unless {@code value >= 1}. */
    public static void requireAtLeastOne(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + value);
        }
    }

    private <T> Optional<T> wholeNumber(String name, Function<String, T> parse) {
        return string(name).map(value -> {
            try {
                return parse.apply(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'", e);
            }
        });
    }

    private static String oneOf(List<String> names) {
        if (names.size() == 1) {
            return names.get(0);
        }
        return names.subList(0, names.size() - 1).stream().collect(Collectors.joining(", "))
                + " or " + names.get(names.size() - 1);
    }
}
