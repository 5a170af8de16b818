package io.kaption.images.fetch;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * Which addresses a remote image may be fetched from: only public unicast ones. Built from the IANA special-purpose
 * registries: IPv4 is refused block by block; IPv6 must be global unicast ({@code 2000::/3}) outside its special
 * blocks, and IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) are judged by the IPv4 address they carry.
 */
public final class AddressPolicy {

    private record Block(IPAddress range, String reason) {
        boolean contains(IPAddress address) {
            return range.contains(address);
        }
    }

    private static final List<Block> FORBIDDEN_IPV4 = List.of(
            block("0.0.0.0/8", "unspecified / this network"),
            block("10.0.0.0/8", "private network"),
            block("100.64.0.0/10", "carrier-grade NAT"),
            block("127.0.0.0/8", "loopback"),
            block("169.254.0.0/16", "link-local, incl. cloud metadata"),
            block("172.16.0.0/12", "private network"),
            block("192.0.0.0/24", "IETF protocol assignments"),
            block("192.0.2.0/24", "documentation"),
            block("192.88.99.0/24", "6to4 relay anycast"),
            block("192.168.0.0/16", "private network"),
            block("198.18.0.0/15", "benchmarking"),
            block("198.51.100.0/24", "documentation"),
            block("203.0.113.0/24", "documentation"),
            block("224.0.0.0/4", "multicast"),
            block("240.0.0.0/4", "reserved, incl. broadcast"));

    private static final IPAddress GLOBAL_UNICAST_V6 = range("2000::/3");

    /** Named so the refusal says what was hit; anything else outside 2000::/3 is "reserved". */
    private static final List<Block> NON_GLOBAL_V6 = List.of(
            block("::/128", "unspecified"),
            block("::1/128", "loopback"),
            block("::/96", "IPv4-compatible (deprecated)"),
            block("64:ff9b:1::/48", "local-use NAT64"),
            block("fc00::/7", "unique local"),
            block("fe80::/10", "link-local"),
            block("fec0::/10", "site-local (deprecated)"),
            block("ff00::/8", "multicast"));

    private static final List<Block> FORBIDDEN_GLOBAL_V6 = List.of(
            block("2001::/23", "IETF protocol assignments, incl. Teredo"),
            block("2001:db8::/32", "documentation"),
            block("3fff::/20", "documentation"));

    private AddressPolicy() {
    }

    /** Empty when {@code address} is public unicast; otherwise why it is refused, e.g. {@code "loopback"}. */
    public static Optional<String> forbiddenReason(InetAddress address) {
        if (address instanceof Inet4Address v4) {
            return reasonV4(new IPv4Address(v4));
        }
        if (address instanceof Inet6Address v6) {
            return reasonV6(new IPv6Address(v6.getAddress()));
        }
        return Optional.of("unknown address family");
    }

    public static boolean isPublic(InetAddress address) {
        return forbiddenReason(address).isEmpty();
    }

    private static Optional<String> reasonV4(IPv4Address address) {
        return FORBIDDEN_IPV4.stream().filter(block -> block.contains(address)).map(Block::reason).findFirst();
    }

    private static Optional<String> reasonV6(IPv6Address address) {
        if (address.isIPv4Mapped()) {
            return reasonV4(address.getEmbeddedIPv4Address()).map(reason -> reason + " (IPv4-mapped)");
        }
        if (address.isWellKnownIPv4Translatable()) {
            return reasonV4(address.getEmbeddedIPv4Address()).map(reason -> reason + " (NAT64)");
        }
        if (address.is6To4()) {
            return reasonV4(address.get6To4IPv4Address()).map(reason -> reason + " (6to4)");
        }
        if (!GLOBAL_UNICAST_V6.contains(address)) {
            return Optional.of(NON_GLOBAL_V6.stream()
                    .filter(block -> block.contains(address))
                    .map(Block::reason)
                    .findFirst()
                    .orElse("reserved"));
        }
        return FORBIDDEN_GLOBAL_V6.stream().filter(block -> block.contains(address)).map(Block::reason).findFirst();
    }

    private static Block block(String cidr, String reason) {
        return new Block(range(cidr), reason);
    }

    private static IPAddress range(String cidr) {
        return new IPAddressString(cidr).getAddress().toPrefixBlock();
    }
}
