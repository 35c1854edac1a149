package io.gatehouse.exchange;

import io.gatehouse.config.IpRange;
import io.gatehouse.config.IpRanges;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Finding the client IP behind trusted proxies, and address ranges. */
class ClientIpsTest {

    private static final ClientIps TRUSTING = new ClientIps(new IpRanges(List.of(IpRange.parse("10.0.0.0/8"),
            IpRange.parse("fd00::/8"))));

    private static InetAddress ip(String text) throws Exception {
        return InetAddress.getByName(text);
    }

    private static HttpHeaders xff(String... lines) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (String line : lines) {
            headers.add("X-Forwarded-For", line);
        }
        return headers;
    }

    @Test
    void withoutTrustedProxiesTheClientIsThePeerWhateverTheHeaderSays() throws Exception {
        ClientIps none = new ClientIps(IpRanges.NONE);
        assertThat(none.clientIp(ip("192.0.2.1"), xff("203.0.113.7"))).isEqualTo(ip("192.0.2.1"));
    }

    @Test
    void aSpoofedHeaderFromAnUntrustedPeerIsIgnored() throws Exception {
        assertThat(TRUSTING.clientIp(ip("192.0.2.1"), xff("10.1.1.1"))).isEqualTo(ip("192.0.2.1"));
        assertThat(TRUSTING.clientIp(ip("2001:db8::1"), xff("203.0.113.7"))).isEqualTo(ip("2001:db8::1"));
    }

    @Test
    void behindTrustedProxiesTheRightmostUntrustedEntryIsTheClient() throws Exception {
        // The client wrote "1.1.1.1" itself; the edge proxy appended the client's real address.
        assertThat(TRUSTING.clientIp(ip("10.0.0.5"), xff("1.1.1.1, 198.51.100.9, 10.0.0.7")))
                .isEqualTo(ip("198.51.100.9"));
        assertThat(TRUSTING.clientIp(ip("10.0.0.5"), xff("1.1.1.1", "198.51.100.9,10.0.0.7")))
                .isEqualTo(ip("198.51.100.9"));
        assertThat(TRUSTING.clientIp(ip("fd00::5"), xff("2001:db8::77, fd00::9"))).isEqualTo(ip("2001:db8::77"));
        assertThat(TRUSTING.clientIp(ip("10.0.0.5"), xff("[2001:db8::77]:4711, 198.51.100.9:80")))
                .isEqualTo(ip("198.51.100.9"));
    }

    @Test
    void aTrustedPeerWithoutAHeaderOrOnlyTrustedEntries() throws Exception {
        assertThat(TRUSTING.clientIp(ip("10.0.0.5"), xff())).isEqualTo(ip("10.0.0.5"));
        assertThat(TRUSTING.clientIp(ip("10.0.0.5"), xff("10.9.9.9, 10.0.0.7"))).isEqualTo(ip("10.9.9.9"));
    }

    @Test
    void garbageWhereTheClientShouldBeMakesItUnknown() throws Exception {
        assertThat(TRUSTING.clientIp(ip("10.0.0.5"), xff("unknown"))).isNull();
        assertThat(TRUSTING.clientIp(ip("10.0.0.5"), xff("198.51.100.9, evil.example.com, 10.0.0.7"))).isNull();
        // Garbage left of the client does not matter.
        assertThat(TRUSTING.clientIp(ip("10.0.0.5"), xff("evil, 198.51.100.9"))).isEqualTo(ip("198.51.100.9"));
    }

    @Test
    void rangesMatchTheirOwnFamilyAndMappedAddressesAsIpv4() throws Exception {
        IpRange v4 = IpRange.parse("203.0.113.0/24");
        IpRange v6 = IpRange.parse("2001:db8::/32");
        assertThat(v4.contains(ip("203.0.113.255"))).isTrue();
        assertThat(v4.contains(ip("203.0.114.0"))).isFalse();
        assertThat(v4.contains(IpRange.literal("::ffff:203.0.113.9"))).isTrue();
        assertThat(v6.contains(ip("2001:db8:ffff::1"))).isTrue();
        assertThat(v6.contains(ip("2001:db9::1"))).isFalse();
        assertThat(v6.contains(ip("203.0.113.9"))).isFalse();
        assertThat(IpRange.parse("0.0.0.0/0").contains(ip("8.8.8.8"))).isTrue();
        assertThat(IpRange.parse("10.0.0.0/9").contains(ip("10.127.0.1"))).isTrue();
        assertThat(IpRange.parse("10.0.0.0/9").contains(ip("10.128.0.1"))).isFalse();
        assertThat(IpRange.parse("203.0.113.7").contains(ip("203.0.113.7"))).isTrue();
        assertThat(IpRange.parse("203.0.113.7").contains(ip("203.0.113.8"))).isFalse();
        assertThat(IpRange.literal("localhost")).isNull();
        assertThat(IpRange.literal("1.2.3")).isNull();
        assertThat(IpRange.literal("01.2.3.4")).isNull();
    }
}
