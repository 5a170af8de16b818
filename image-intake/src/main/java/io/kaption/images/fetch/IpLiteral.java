package io.kaption.images.fetch;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * Recognises a URL host that is an IP address written out, in every form a C resolver's {@code inet_aton} accepts
 * (dotted decimal, {@code 2130706433}, {@code 0x7f000001}, {@code 0177.0.0.1}) and IPv6 with or without brackets,
 * so such hosts are judged as the address they name and never sent to DNS.
 */
final class IpLiteral {

    private static final IPAddressStringParameters LITERAL_FORMS = new IPAddressStringParameters.Builder()
            .allowEmpty(false)
            .allowAll(false)
            .allowPrefix(false)
            .allowMask(false)
            .allowPrefixOnly(false)
            .allowSingleSegment(true)
            .allowWildcardedSeparator(false)
            .allow_inet_aton(true)
            .toParams();

    private IpLiteral() {
    }

    /** The address {@code host} spells, or empty when it is a name to resolve. */
    static Optional<InetAddress> parse(String host) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        IPAddress address = new IPAddressString(bare, LITERAL_FORMS).getAddress();
        if (address == null || address.isMultiple()) {
            return Optional.empty();
        }
        try {
            // From the raw bytes: an IPv6 zone (%eth0) says which interface, not which address, so it is dropped.
            return Optional.of(InetAddress.getByAddress(address.getBytes()));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 address bytes are always accepted", e);
        }
    }

    /** One spelling per host, so that allow-list entries and URL hosts compare equal when they name the same thing. */
    static String canonicalHost(String host) {
        Optional<InetAddress> literal = parse(host);
        if (literal.isPresent()) {
            return literal.get().getHostAddress();
        }
        String lower = host.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }
}
