package io.gatehouse.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

class ClientAddressesTest {

    @Test
    void countsAnIpv4AddressAlone() throws Exception {
        assertThat(ClientAddresses.key(InetAddress.getByName("192.0.2.7"))).isEqualTo("#ip:192.0.2.7");
        assertThat(ClientAddresses.key(InetAddress.getByName("192.0.2.8"))).isEqualTo("#ip:192.0.2.8");
    }

    @Test
    void groupsIpv6AddressesByTheirSlash64SoOneHostCannotRotateThroughItsPrefix() throws Exception {
        String a = ClientAddresses.key(InetAddress.getByName("2001:db8:0:1::1"));
        String b = ClientAddresses.key(InetAddress.getByName("2001:db8:0:1:ffff:ffff:ffff:ffff"));
        String other = ClientAddresses.key(InetAddress.getByName("2001:db8:0:2::1"));

        assertThat(a).isEqualTo("#ip:2001:db8:0:1::/64").isEqualTo(b);
        assertThat(other).isEqualTo("#ip:2001:db8:0:2::/64");
    }

    @Test
    void countsAnIpv4MappedIpv6AddressAsItsIpv4Address() throws Exception {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 192, 0, 2, 7};
        InetAddress v6 = java.net.Inet6Address.getByAddress(null, mapped, -1);

        assertThat(ClientAddresses.key(v6)).isEqualTo("#ip:192.0.2.7");
    }

    @Test
    void keysCannotCollideWithAClientName() {
        // Client names are letters, digits and - _ . : @ only.
        assertThat(ClientAddresses.key(null)).isEqualTo("#ip:unknown").startsWith("#");
    }
}
