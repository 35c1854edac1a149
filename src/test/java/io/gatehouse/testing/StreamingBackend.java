package io.gatehouse.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A plain-socket HTTP/1.1 backend for bodies of any size, streamed and never held in memory (a thread per
 * connection, keep-alive honoured). Two resources:
 * <ul>
 *   <li>{@code POST /sha256} (any path ending so) reads the body, Content-Length or chunked, hashing it as it
 *       arrives, and answers {@code <hex sha-256> <byte count>};</li>
 *   <li>{@code GET /bytes?length=N&seed=S&framing=chunked|length} sends {@link PseudoRandomBytes} of that seed and
 *       length, chunked or with a Content-Length.</li>
 * </ul>
 * {@link #bodyBytesSent()} counts response body bytes handed to the socket, so a test can see how far the backend
 * got ahead of a slow client.
 */
public final class StreamingBackend implements AutoCloseable {

    private static final int BUFFER = 64 * 1024;

    private final ServerSocket server;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong bodyBytesSent = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread acceptor;

    private StreamingBackend(ServerSocket server) {
        this.server = server;
        this.acceptor = new Thread(this::acceptLoop, "streaming-backend-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static StreamingBackend start() {
        try {
            ServerSocket socket = new ServerSocket();
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return new StreamingBackend(socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public long bodyBytesSent() {
        return bodyBytesSent.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.add(socket);
                Thread worker = new Thread(() -> serve(socket), "streaming-backend-" + socket.getPort());
                worker.setDaemon(true);
                worker.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream(), BUFFER);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), BUFFER);
            while (true) {
                String requestLine = readLine(in);
                if (requestLine == null) {
                    return;
                }
                Map<String, String> headers = readHeaders(in);
                String[] parts = requestLine.split(" ");
                String method = parts[0];
                String target = parts[1];
                if (method.equals("POST") && target.endsWith("/sha256")) {
                    String result = hashBody(in, headers);
                    writeText(out, 200, result);
                } else if (method.equals("GET") && target.contains("/bytes?")) {
                    skipBody(in, headers);
                    Map<String, String> query = query(target);
                    sendBytes(out, Long.parseLong(query.get("seed")), Long.parseLong(query.get("length")),
                            "chunked".equals(query.get("framing")));
                } else {
                    skipBody(in, headers);
                    writeText(out, 404, "no such resource: " + method + " " + target);
                }
                out.flush();
                if ("close".equalsIgnoreCase(headers.get("connection"))) {
                    return;
                }
            }
        } catch (SocketException | EOFException e) {
            // the gateway closed the connection (pool idle timeout, shutdown, or an aborted exchange)
        } catch (IOException | RuntimeException e) {
            failure.compareAndSet(null, e);
        } finally {
            connections.remove(socket);
        }
    }

    private static String hashBody(InputStream in, Map<String, String> headers) throws IOException {
        MessageDigest digest = PseudoRandomBytes.newSha256();
        byte[] buffer = new byte[BUFFER];
        long count = 0;
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            while (true) {
                String sizeLine = readLine(in);
                if (sizeLine == null) {
                    throw new EOFException("connection closed inside a chunked body");
                }
                int semi = sizeLine.indexOf(';');
                long size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
                if (size == 0) {
                    String trailer;
                    while ((trailer = readLine(in)) != null && !trailer.isEmpty()) {
                        // trailers are ignored
                    }
                    break;
                }
                count += copy(in, size, digest, buffer);
                readLine(in);
            }
        } else {
            count = copy(in, Long.parseLong(headers.getOrDefault("content-length", "0")), digest, buffer);
        }
        return HexFormat.of().formatHex(digest.digest()) + " " + count;
    }

    private static long copy(InputStream in, long size, MessageDigest digest, byte[] buffer) throws IOException {
        long left = size;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException("body ended after " + (size - left) + " of " + size + " bytes");
            }
            digest.update(buffer, 0, n);
            left -= n;
        }
        return size;
    }

    private static void skipBody(InputStream in, Map<String, String> headers) throws IOException {
        if (headers.containsKey("transfer-encoding") || !headers.getOrDefault("content-length", "0").equals("0")) {
            hashBody(in, headers);
        }
    }

    private void sendBytes(OutputStream out, long seed, long length, boolean chunked) throws IOException {
        String head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                + (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + length + "\r\n") + "\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        byte[] buffer = new byte[BUFFER];
        try (PseudoRandomBytes body = new PseudoRandomBytes(seed, length)) {
            int n;
            while ((n = body.read(buffer, 0, buffer.length)) > 0) {
                if (chunked) {
                    out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                }
                out.write(buffer, 0, n);
                if (chunked) {
                    out.write('\r');
                    out.write('\n');
                }
                bodyBytesSent.addAndGet(n);
            }
        }
        if (chunked) {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
    }

    private static void writeText(OutputStream out, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + (status == 200 ? " OK" : " Not Found")
                + "\r\nContent-Type: text/plain\r\nContent-Length: " + body.length + "\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
    }

    private static Map<String, String> readHeaders(InputStream in) throws IOException {
        Map<String, String> headers = new HashMap<>();
        String line;
        while ((line = readLine(in)) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        return headers;
    }

    private static Map<String, String> query(String target) {
        Map<String, String> query = new HashMap<>();
        for (String pair : target.substring(target.indexOf('?') + 1).split("&")) {
            int eq = pair.indexOf('=');
            query.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return query;
    }

    /** A line without its CRLF; null at the end of the stream before any byte of a line. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    /** Closes the listening socket and every connection; fails if serving a request went wrong. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket socket : connections) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        Throwable first = failure.get();
        if (first != null) {
            throw new AssertionError("the backend failed to serve a request", first);
        }
    }
}
