package io.gatehouse.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * One address or CIDR block of {@code trusted_proxies}, {@code allow_ips} or {@code deny_ips}: {@code 203.0.113.7},
 * {@code 10.0.0.0/8}, {@code 2001:db8::/32}. An IPv4 range holds only IPv4 addresses and an IPv6 range only IPv6
 * ones; an IPv4-mapped IPv6 address ({@code ::ffff:192.0.2.1}) counts as the IPv4 address it carries. Parsing
 * takes literals only, so it never looks a name up in DNS.
 */
public final class IpRange {

    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

    private final byte[] network;
    private final int bits;

    private IpRange(byte[] network, int bits) {
        this.network = network;
        this.bits = bits;
    }

    /**
     * {@code ADDRESS} or {@code ADDRESS/BITS}.
     *
     * @throws IllegalArgumentException with a message that says what is wrong
     */
    public static IpRange parse(String text) {
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        byte[] bytes = literal(address);
        if (bytes == null) {
            throw new IllegalArgumentException("not an IPv4 or IPv6 address");
        }
        int max = bytes.length * 8;
        int bits = max;
        if (slash >= 0) {
            String digits = text.substring(slash + 1);
            if (!digits.matches("[0-9]{1,3}") || Integer.parseInt(digits) > max) {
                throw new IllegalArgumentException("the prefix length after '/' must be 0 to " + max);
            }
            bits = Integer.parseInt(digits);
        }
        for (int i = bits; i < max; i++) {
            if ((bytes[i / 8] & (0x80 >> (i % 8))) != 0) {
                throw new IllegalArgumentException("the address has bits set past the /" + bits
                        + " prefix; write the network address");
            }
        }
        return new IpRange(bytes, bits);
    }

    /**
     * The bytes of an IP literal (4 for IPv4, also for an IPv4-mapped IPv6 address; 16 for IPv6), or null when
     * {@code text} is not one. An IPv6 literal may be in brackets; zone ids are not accepted.
     */
    public static byte[] literal(String text) {
        if (text.length() > 2 && text.charAt(0) == '[' && text.charAt(text.length() - 1) == ']') {
            text = text.substring(1, text.length() - 1);
        }
        if (IPV4.matcher(text).matches()) {
            String[] parts = text.split("\\.");
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                bytes[i] = (byte) Integer.parseInt(parts[i]);
            }
            return bytes;
        }
        if (text.indexOf(':') < 0 || text.length() > 45 || !IPV6_CHARS.matcher(text).matches()) {
            return null;
        }
        try {
            // A text with ':' is only ever parsed as an IPv6 literal: no lookup.
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** Whether {@code address} (4 or 16 bytes, as {@link #literal} gives them) is in this range. */
    public boolean contains(byte[] address) {
        if (address == null || address.length != network.length) {
            return false;
        }
        int full = bits / 8;
        for (int i = 0; i < full; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int rest = bits % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (address[full] & mask) == (network[full] & mask);
    }

    public boolean contains(InetAddress address) {
        return address != null && contains(address.getAddress());
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof IpRange r && bits == r.bits && Arrays.equals(network, r.network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + bits;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + bits;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
