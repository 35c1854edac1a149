package io.gatehouse.ratelimit;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The rate-limit key of a client counted by its IP address. An IPv4 address counts alone; an IPv6 address counts
 * by its /64 prefix, since one host is routinely handed a whole /64 and could otherwise rotate through it. The
 * {@code #} keeps these keys apart from client names, which cannot contain it.
 */
public final class ClientAddresses {

    static final String PREFIX = "#ip:";
    private static final String UNKNOWN = PREFIX + "unknown";

    private ClientAddresses() {
    }

    /** {@code #ip:192.0.2.7}, {@code #ip:2001:db8:0:1::/64}; {@code #ip:unknown} when there is no address. */
    public static String key(InetAddress address) {
        if (address instanceof Inet4Address) {
            return PREFIX + address.getHostAddress();
        }
        if (address instanceof Inet6Address v6) {
            byte[] b = v6.getAddress();
            if (isIpv4Mapped(b)) {
                return PREFIX + (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
            }
            StringBuilder key = new StringBuilder(PREFIX.length() + 24).append(PREFIX);
            for (int i = 0; i < 8; i += 2) {
                key.append(Integer.toHexString((b[i] & 0xff) << 8 | (b[i + 1] & 0xff))).append(':');
            }
            return key.append(":/64").toString();
        }
        return UNKNOWN;
    }

    private static boolean isIpv4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }
}
