package io.gatehouse.exchange;

import io.gatehouse.config.IpRange;
import io.gatehouse.config.IpRanges;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Finds a request's client IP: the socket peer, or, when the peer is one of {@code trusted_proxies}, the right-most
 * {@code X-Forwarded-For} entry that is not itself trusted (each trusted proxy appends the address it received
 * from, so entries left of the first untrusted one were written by someone who could write anything). Every entry
 * trusted: the left-most. An entry that is not an IP literal where the client should be makes the client unknown
 * ({@code null}), which IP rules refuse. Compiled once per config snapshot; without trusted proxies it costs nothing.
 */
public final class ClientIps {

    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
    /** Hops looked at, at most: a longer chain is cut there (and the client is unknown). */
    private static final int MAX_HOPS = 64;

    private final IpRanges trusted;

    public ClientIps(IpRanges trusted) {
        this.trusted = trusted;
    }

    /** The client of a request from {@code peer} with {@code headers}; null when it cannot be told. */
    public InetAddress clientIp(InetAddress peer, HttpHeaders headers) {
        if (peer == null || trusted.isEmpty() || !trusted.contains(peer)) {
            return peer;
        }
        List<String> lines = headers.getAll(X_FORWARDED_FOR);
        byte[] leftmost = null;
        int hops = 0;
        for (int l = lines.size() - 1; l >= 0; l--) {
            String[] entries = lines.get(l).split(",");
            for (int i = entries.length - 1; i >= 0; i--) {
                String entry = entries[i].trim();
                if (entry.isEmpty()) {
                    continue;
                }
                byte[] address = ++hops > MAX_HOPS ? null : address(entry);
                if (address == null) {
                    return null;
                }
                if (!trusted.contains(address)) {
                    return inet(address);
                }
                leftmost = address;
            }
        }
        return leftmost == null ? peer : inet(leftmost);
    }

    /** An entry's address: an IP literal, an IPv6 one in brackets, either with a port ({@code 192.0.2.1:4711}). */
    static byte[] address(String entry) {
        byte[] bytes = IpRange.literal(entry);
        if (bytes != null) {
            return bytes;
        }
        int colon = entry.lastIndexOf(':');
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            return close > 0 && colon == close + 1 ? IpRange.literal(entry.substring(0, close + 1)) : null;
        }
        if (colon > 0 && entry.indexOf(':') == colon) {
            bytes = IpRange.literal(entry.substring(0, colon));
            return bytes != null && bytes.length == 4 ? bytes : null;
        }
        return null;
    }

    private static InetAddress inet(byte[] address) {
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
