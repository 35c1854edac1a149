package io.gatehouse.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A small programmable HTTP/1.1 backend on plain blocking sockets, for what WireMock cannot do: see the exact
 * target and header lines the gateway sent, count connections, answer before reading a body, never answer, close
 * or reset in the middle of a response. One thread per connection; a {@link Responder} writes each response as raw
 * bytes. A request body is read only when the responder asks for it ({@link Request#body()}); whatever it leaves
 * unread is drained before the next request on that connection, as a real server does.
 */
public final class TestBackend implements AutoCloseable {

    /** Writes the response to one request; may also close or reset the connection, or block. */
    @FunctionalInterface
    public interface Responder {
        void respond(Request request, Connection connection) throws Exception;
    }

    private final ServerSocket server;
    private final Responder responder;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-backend");
        t.setDaemon(true);
        return t;
    });
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    private TestBackend(Responder responder, int port) throws IOException {
        this.responder = responder;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
        threads.execute(this::acceptLoop);
    }

    /** A backend on {@code port} of loopback: one that comes back where an earlier one was closed. */
    public static TestBackend startOn(int port, Responder responder) {
        try {
            return new TestBackend(responder, port);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static TestBackend start(Responder responder) {
        try {
            return new TestBackend(responder, 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A responder that answers every request 200 with {@code body} (text/plain, Content-Length, keep-alive). */
    public static Responder ok(String body) {
        return (request, connection) -> {
            request.body();
            connection.respond(200, body, "Content-Type: text/plain");
        };
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code http://127.0.0.1:port}, for a route's upstream. */
    public String url() {
        return "http://127.0.0.1:" + port();
    }

    /** Connections accepted so far. */
    public int connectionsAccepted() {
        return connections.size();
    }

    public List<Connection> connections() {
        return List.copyOf(connections);
    }

    /** Request heads received so far, in arrival order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                socket.setTcpNoDelay(true);
                Connection connection = new Connection(connections.size(), socket);
                connections.add(connection);
                threads.execute(() -> serve(connection));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Connection connection) {
        try {
            while (!connection.closed) {
                Request request = Request.read(connection, requests.size());
                if (request == null) {
                    connection.peerClosed.countDown();
                    return;
                }
                connection.requests.add(request);
                requests.add(request);
                responder.respond(request, connection);
                if (!connection.closed) {
                    request.body();
                }
            }
        } catch (Exception e) {
            // The gateway went away (EOF or reset mid-request), or the responder ended the connection itself.
            if (!connection.closed) {
                connection.peerClosed.countDown();
            }
        } finally {
            connection.close();
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Connection connection : connections) {
            connection.close();
        }
        threads.shutdownNow();
    }

    /** One accepted connection: write raw bytes to it, close it, reset it, or wait for the gateway to close it. */
    public static final class Connection {

        private final int index;
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final List<Request> requests = new CopyOnWriteArrayList<>();
        private final CountDownLatch peerClosed = new CountDownLatch(1);
        private volatile boolean closed;

        Connection(int index, Socket socket) throws IOException {
            this.index = index;
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        /**
         * The connection's input after the request head, for a responder that reads a body at its own pace
         * (instead of {@link Request#body()}).
         */
        public InputStream input() {
            return in;
        }

        /** 0 for the first connection this backend accepted, and so on. */
        public int index() {
            return index;
        }

        public List<Request> requests() {
            return List.copyOf(requests);
        }

        public Connection write(String raw) throws IOException {
            return write(raw.getBytes(StandardCharsets.ISO_8859_1));
        }

        public Connection write(byte[] raw) throws IOException {
            out.write(raw);
            out.flush();
            return this;
        }

        /** A complete response with a Content-Length; {@code headers} are whole lines without CRLF. */
        public Connection respond(int status, String body, String... headers) throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status))
                    .append("\r\n");
            for (String header : headers) {
                head.append(header).append("\r\n");
            }
            boolean bodiless = status == 204 || status == 304;
            if (!bodiless) {
                head.append("Content-Length: ").append(bytes.length).append("\r\n");
            }
            head.append("\r\n");
            write(head.toString());
            if (!bodiless) {
                write(bytes);
            }
            return this;
        }

        /** Closes with a FIN. */
        public void close() {
            closed = true;
            try {
                socket.close();
            } catch (IOException ignored) {
                // already closed
            }
        }

        /** Closes with a RST. */
        public void reset() {
            try {
                socket.setSoLinger(true, 0);
            } catch (SocketException ignored) {
                // closing anyway
            }
            close();
        }

        /**
         * Blocks (reading and dropping whatever arrives) until the gateway closes this connection; returns false
         * if it did not within {@code timeout}. For responders that never answer.
         */
        public boolean awaitPeerClose(Duration timeout) throws IOException {
            socket.setSoTimeout((int) timeout.toMillis());
            try {
                while (in.read() != -1) {
                    // drop
                }
                peerClosed.countDown();
                return true;
            } catch (java.net.SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                peerClosed.countDown();
                return true;
            }
        }

        /**
         * Blocks until the gateway either sends more bytes on this connection or closes it, and returns what one
         * read brought: the bytes, an empty array for a close (or reset), or null if neither happened within
         * {@code timeout}. For responders that must see whether the gateway reuses a connection it should not.
         */
        public byte[] awaitBytesOrPeerClose(Duration timeout) throws IOException {
            socket.setSoTimeout((int) timeout.toMillis());
            byte[] buffer = new byte[8192];
            try {
                int n = in.read(buffer);
                if (n == -1) {
                    peerClosed.countDown();
                    return new byte[0];
                }
                return Arrays.copyOf(buffer, n);
            } catch (SocketTimeoutException e) {
                return null;
            } catch (IOException e) {
                peerClosed.countDown();
                return new byte[0];
            }
        }

        /** True once the gateway closed this connection (seen by a read here). */
        public boolean closedByPeer() {
            return peerClosed.getCount() == 0;
        }

        /** Waits until the gateway has closed this connection, as seen by the thread serving it. */
        public boolean waitForPeerClose(Duration timeout) throws InterruptedException {
            return peerClosed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        private static String reason(int status) {
            return switch (status) {
                case 100 -> "Continue";
                case 200 -> "OK";
                case 201 -> "Created";
                case 204 -> "No Content";
                case 304 -> "Not Modified";
                case 400 -> "Bad Request";
                case 413 -> "Payload Too Large";
                case 417 -> "Expectation Failed";
                default -> "Status";
            };
        }
    }

    /** One request head as received, with its body read on demand. Header names keep their case. */
    public static final class Request {

        private final Connection connection;
        private final int index;
        private final String method;
        private final String target;
        private final String version;
        private final List<String[]> headers;
        private volatile byte[] body;
        private boolean continueSent;

        private Request(Connection connection, int index, String method, String target, String version,
                        List<String[]> headers) {
            this.connection = connection;
            this.index = index;
            this.method = method;
            this.target = target;
            this.version = version;
            this.headers = headers;
        }

        static Request read(Connection connection, int index) throws IOException {
            String line = readLine(connection.in);
            if (line == null) {
                return null;
            }
            String[] parts = line.split(" ", 3);
            if (parts.length != 3) {
                throw new IOException("bad request line: " + line);
            }
            List<String[]> headers = new ArrayList<>();
            String header;
            while ((header = readLine(connection.in)) != null && !header.isEmpty()) {
                int colon = header.indexOf(':');
                headers.add(new String[]{header.substring(0, colon), header.substring(colon + 1).trim()});
            }
            if (header == null) {
                throw new IOException("connection closed inside a request head");
            }
            return new Request(connection, index, parts[0], parts[1], parts[2], headers);
        }

        public Connection connection() {
            return connection;
        }

        /** 0 for the first request this backend received, and so on. */
        public int index() {
            return index;
        }

        public String method() {
            return method;
        }

        /** The request target exactly as sent. */
        public String target() {
            return target;
        }

        public String version() {
            return version;
        }

        /** Every header line as {name, value}, in order. */
        public List<String[]> headerLines() {
            return headers;
        }

        /** The first value of a header (any case), or null. */
        public String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        public List<String> headers(String name) {
            List<String> values = new ArrayList<>();
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    values.add(h[1]);
                }
            }
            return values;
        }

        /**
         * Reads the body (Content-Length or chunked) the first time it is called, sending {@code 100 Continue}
         * first when the request expects it.
         */
        public synchronized byte[] body() throws IOException {
            if (body != null) {
                return body;
            }
            String te = header("Transfer-Encoding");
            String cl = header("Content-Length");
            boolean hasBody = (te != null && te.equalsIgnoreCase("chunked")) || (cl != null && !cl.equals("0"));
            if (hasBody && !continueSent && "100-continue".equalsIgnoreCase(header("Expect"))) {
                continueSent = true;
                connection.write("HTTP/1.1 100 Continue\r\n\r\n");
            }
            InputStream in = connection.in;
            if (te != null && te.equalsIgnoreCase("chunked")) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                while (true) {
                    String sizeLine = readLine(in);
                    if (sizeLine == null) {
                        throw new IOException("connection closed inside a chunked body");
                    }
                    int semi = sizeLine.indexOf(';');
                    int size = Integer.parseInt((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
                    if (size == 0) {
                        String trailer;
                        while ((trailer = readLine(in)) != null && !trailer.isEmpty()) {
                            // trailers are dropped
                        }
                        break;
                    }
                    out.write(readExactly(in, size));
                    readLine(in);
                }
                body = out.toByteArray();
            } else if (cl != null) {
                body = readExactly(in, Integer.parseInt(cl));
            } else {
                body = new byte[0];
            }
            return body;
        }

        public String bodyText() throws IOException {
            return new String(body(), StandardCharsets.UTF_8);
        }

        private static byte[] readExactly(InputStream in, int n) throws IOException {
            byte[] bytes = in.readNBytes(n);
            if (bytes.length != n) {
                throw new IOException("connection closed inside a body");
            }
            return bytes;
        }

        private static String readLine(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1) {
                if (b == '\n') {
                    byte[] bytes = line.toByteArray();
                    int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
                }
                line.write(b);
            }
            return null;
        }

        @Override
        public String toString() {
            return method + " " + target + " " + version + " " + headers.stream()
                    .map(h -> h[0] + ": " + h[1]).toList() + " (connection " + connection.index + ")";
        }
    }

    /** {@code http://127.0.0.1:port} for a {@link #closedPort()}: an upstream that refuses every connection. */
    public static String closedUrl() {
        return "http://127.0.0.1:" + closedPort();
    }

    /** For tests that need a port where nothing listens: bound, read and released at once. */
    public static int closedPort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
