package io.kaption.images.fetch;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.UnknownHostException;

import static org.assertj.core.api.Assertions.assertThat;

class IpLiteralTest {

    @ParameterizedTest(name = "{0} spells {1}")
    @CsvSource({
            "127.0.0.1, 127.0.0.1",
            "2130706433, 127.0.0.1",
            "0x7f000001, 127.0.0.1",
            "0x7F000001, 127.0.0.1",
            "0177.0.0.1, 127.0.0.1",
            "0x7f.0.0.1, 127.0.0.1",
            "127.1, 127.0.0.1",
            "0, 0.0.0.0",
            "2852039166, 169.254.169.254",
            "0xa9.0xfe.0xa9.0xfe, 169.254.169.254",
            "[::1], ::1",
            "::1, ::1",
            "[0:0:0:0:0:0:0:1], ::1",
            "[fe80::1%25eth0], fe80::1",
            "[::ffff:127.0.0.1], 127.0.0.1",
    })
    void parsesEveryNumericSpelling(String host, String address) throws UnknownHostException {
        assertThat(IpLiteral.parse(host)).contains(InetAddress.getByName(address));
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "images.test", "localhost", "1.2.3.4.5", "999.1.1.1", "1e100.net", "10.0.0.0/8",
            "1.2.3.*", "1.2.3.1-5", ""})
    void leavesNamesToTheResolver(String host) {
        assertThat(IpLiteral.parse(host)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"Images.Test., images.test", "EXAMPLE.com, example.com", "[::1], 0:0:0:0:0:0:0:1",
            "2130706433, 127.0.0.1"})
    void canonicalHostFoldsSpellings(String host, String canonical) {
        assertThat(IpLiteral.canonicalHost(host)).isEqualTo(canonical);
    }
}
