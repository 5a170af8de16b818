package io.kaption.images.fetch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

import static org.assertj.core.api.Assertions.assertThat;

/** Pure verdicts: every address here is only classified, never connected to. */
class AddressPolicyTest {

    @ParameterizedTest(name = "{0} is refused as {1}")
    @CsvSource(delimiter = '|', value = {
            "127.0.0.1       | loopback",
            "127.255.255.254 | loopback",
            "10.0.0.1        | private network",
            "10.255.255.255  | private network",
            "172.16.0.1      | private network",
            "172.31.255.255  | private network",
            "192.168.1.1     | private network",
            "169.254.169.254 | link-local, incl. cloud metadata",
            "169.254.0.1     | link-local",
            "100.64.0.1      | carrier-grade NAT",
            "100.127.255.255 | carrier-grade NAT",
            "0.0.0.0         | unspecified",
            "0.1.2.3         | this network",
            "192.0.0.170     | IETF protocol assignments",
            "198.18.0.1      | benchmarking",
            "198.19.255.255  | benchmarking",
            "224.0.0.1       | multicast",
            "239.255.255.250 | multicast",
            "240.0.0.1       | reserved",
            "255.255.255.255 | broadcast",
            "192.0.2.1       | documentation",
            "::1             | loopback",
            "::              | unspecified",
            "fe80::1         | link-local",
            "febf::1         | link-local",
            "fc00::1         | unique local",
            "fd12:3456::1    | unique local",
            "ff02::1         | multicast",
            "::7f00:1        | IPv4-compatible",
            "64:ff9b::7f00:1 | loopback (NAT64)",
            "64:ff9b::a9fe:a9fe | link-local, incl. cloud metadata (NAT64)",
            "64:ff9b:1::1    | local-use NAT64",
            "2002:7f00:1::1  | loopback (6to4)",
            "2002:a00:1::1   | private network (6to4)",
            "2002:a9fe:a9fe::1 | link-local, incl. cloud metadata (6to4)",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2 | Teredo",
            "2001:db8::1     | documentation",
            "100::1          | reserved",
    })
    void refuses(String address, String reason) throws UnknownHostException {
        assertThat(AddressPolicy.forbiddenReason(InetAddress.getByName(address))).hasValueSatisfying(
                why -> assertThat(why).contains(reason));
        assertThat(AddressPolicy.isPublic(InetAddress.getByName(address))).isFalse();
    }

    @ParameterizedTest(name = "{0} is public")
    @ValueSource(strings = {
            "8.8.8.8", "1.1.1.1", "93.184.216.34", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1",
            "169.253.255.255", "198.17.255.255", "198.20.0.1", "223.255.255.255", "11.0.0.1",
            "2606:4700:4700::1111", "2a00:1450:4001:81b::200e", "64:ff9b::808:808", "2002:808:808::1"})
    void admitsPublicAddresses(String address) throws UnknownHostException {
        assertThat(AddressPolicy.forbiddenReason(InetAddress.getByName(address))).isEmpty();
    }

    @Test
    void judgesIpv4MappedIpv6ByTheEmbeddedAddress() throws UnknownHostException {
        // InetAddress.getByName folds ::ffff:a.b.c.d into an Inet4Address; a resolver may still hand over the IPv6 form.
        assertThat(AddressPolicy.forbiddenReason(mapped(169, 254, 169, 254)))
                .hasValue("link-local, incl. cloud metadata (IPv4-mapped)");
        assertThat(AddressPolicy.forbiddenReason(mapped(127, 0, 0, 1))).hasValue("loopback (IPv4-mapped)");
        assertThat(AddressPolicy.forbiddenReason(mapped(10, 1, 2, 3))).hasValue("private network (IPv4-mapped)");
        assertThat(AddressPolicy.forbiddenReason(mapped(8, 8, 8, 8))).isEmpty();
    }

    @Test
    void judgesScopedIpv6() throws UnknownHostException {
        byte[] linkLocal = InetAddress.getByName("fe80::1").getAddress();
        assertThat(AddressPolicy.forbiddenReason(Inet6Address.getByAddress(null, linkLocal, 2))).hasValue("link-local");
    }

    private static InetAddress mapped(int a, int b, int c, int d) throws UnknownHostException {
        byte[] bytes = new byte[16];
        bytes[10] = (byte) 0xff;
        bytes[11] = (byte) 0xff;
        bytes[12] = (byte) a;
        bytes[13] = (byte) b;
        bytes[14] = (byte) c;
        bytes[15] = (byte) d;
        InetAddress address = Inet6Address.getByAddress(null, bytes, -1);
        assertThat(address).isInstanceOf(Inet6Address.class);
        return address;
    }
}
