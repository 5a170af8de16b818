package io.kaption.images.fetch;

import java.util.OptionalInt;

/**
 * One {@code host[:port]} entry of the remote image allow-list: a host admitted on purpose, even when it resolves to a
 * private or loopback address. Without a port every port of the host is admitted.
 *
 * @param host canonical host: lower case without a trailing dot, or the address text for IP literals
 * @param port the one admitted port, or empty for all
 */
public record AllowedHost(String host, OptionalInt port) {

    /** Parses {@code example.com}, {@code example.com:8443}, {@code 10.0.0.7:80}, {@code [::1]:8080} or {@code ::1}. */
    public static AllowedHost parse(String entry) {
        String text = entry.strip();
        String host = text;
        OptionalInt port = OptionalInt.empty();
        int lastColon = text.lastIndexOf(':');
        boolean bracketed = text.startsWith("[");
        boolean bareIpv6 = !bracketed && text.indexOf(':') != lastColon;
        if (bracketed) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("unclosed '[' in allowed host '" + entry + "'");
            }
            host = text.substring(0, close + 1);
            String rest = text.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("expected ':port' after ']' in allowed host '" + entry + "'");
                }
                port = OptionalInt.of(parsePort(rest.substring(1), entry));
            }
        } else if (lastColon >= 0 && !bareIpv6) {
            host = text.substring(0, lastColon);
            port = OptionalInt.of(parsePort(text.substring(lastColon + 1), entry));
        }
        if (host.isEmpty() || host.equals("[]")) {
            throw new IllegalArgumentException("empty host in allowed host '" + entry + "'");
        }
        return new AllowedHost(IpLiteral.canonicalHost(host), port);
    }

    /** Whether a URL whose host is {@code host} (as written, brackets allowed) and whose port is {@code port} is admitted. */
    public boolean admits(String host, int port) {
        return this.host.equals(IpLiteral.canonicalHost(host)) && (this.port.isEmpty() || this.port.getAsInt() == port);
    }

    private static int parsePort(String text, String entry) {
        try {
            int port = Integer.parseInt(text);
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range in allowed host '" + entry + "'");
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in allowed host '" + entry + "'", e);
        }
    }
}
