package io.gatehouse.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.ArrayList;
import java.util.List;

/**
 * Headers that describe one connection rather than the message (RFC 9110 §7.6.1) and so must not cross the
 * gateway: {@code Connection} and every header it names, {@code Keep-Alive}, {@code TE}, {@code Trailer},
 * {@code Upgrade}, {@code Proxy-Authorization}, {@code Proxy-Connection}. {@code Transfer-Encoding} and
 * {@code Content-Length} are framing: they are left for the proxy to set for the next hop, and a {@code Connection}
 * header cannot make them (or {@code Host}) disappear.
 */
public final class HopByHopHeaders {

    private static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");
    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");

    private HopByHopHeaders() {
    }

    public static void strip(HttpHeaders headers) {
        List<String> named = null;
        // Most requests name nothing: skip the list the look-up would build.
        List<String> connection = headers.contains(HttpHeaderNames.CONNECTION)
                ? headers.getAll(HttpHeaderNames.CONNECTION) : List.of();
        for (String value : connection) {
            for (String token : value.split(",")) {
                String name = token.trim();
                if (!name.isEmpty() && !isFraming(name)) {
                    if (named == null) {
                        named = new ArrayList<>(2);
                    }
                    named.add(name);
                }
            }
        }
        if (named != null) {
            for (String name : named) {
                headers.remove(name);
            }
        }
        headers.remove(HttpHeaderNames.CONNECTION)
                .remove(KEEP_ALIVE)
                .remove(HttpHeaderNames.TE)
                .remove(HttpHeaderNames.TRAILER)
                .remove(HttpHeaderNames.UPGRADE)
                .remove(HttpHeaderNames.PROXY_AUTHORIZATION)
                .remove(PROXY_CONNECTION);
    }

    private static boolean isFraming(String name) {
        return HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.HOST.contentEqualsIgnoreCase(name);
    }
}
