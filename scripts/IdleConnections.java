import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Holds many idle keep-alive connections open against one HTTP server, for scripts/bench's idle-connection figure.
 *
 * <pre>java scripts/IdleConnections.java HOST PORT COUNT PATH [HEADER: VALUE]...</pre>
 *
 * Opens COUNT connections one after the other; on each it sends one GET PATH (HTTP/1.1, keep-alive) and reads the
 * whole response, so every connection has been through a request and now sits idle in the server's keep-alive
 * state. Then it prints "ready OPEN FAILED" and waits until standard input ends. Before closing it sends one more
 * request on up to 100 connections spread over the set and prints "alive OK/CHECKED", which shows the server kept
 * them. Only for loopback benchmarks: it connects to the host given and nowhere else.
 */
public final class IdleConnections {

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: java IdleConnections.java HOST PORT COUNT PATH [HEADER: VALUE]...");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int count = Integer.parseInt(args[2]);
        String path = args[3];
        StringBuilder head = new StringBuilder()
                .append("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append(':').append(port).append("\r\n");
        for (int i = 4; i < args.length; i++) {
            head.append(args[i]).append("\r\n");
        }
        byte[] request = head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);

        List<Socket> sockets = new ArrayList<>(count);
        int failed = 0;
        long started = System.nanoTime();
        for (int i = 0; i < count; i++) {
            Socket socket = new Socket();
            try {
                socket.setSoTimeout(10_000);
                socket.connect(new InetSocketAddress(host, port), 10_000);
                if (exchange(socket, request)) {
                    sockets.add(socket);
                } else {
                    failed++;
                    socket.close();
                }
            } catch (IOException e) {
                failed++;
                socket.close();
                if (failed == 1) {
                    System.err.println("first failure at connection " + i + ": " + e);
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf(Locale.ROOT, "ready %d %d %.1fs%n", sockets.size(), failed, seconds);
        System.out.flush();

        // Wait for the caller to measure; it closes our standard input when done.
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        while (stdin.readLine() != null) {
            // ignore input
        }

        int checked = 0;
        int ok = 0;
        int step = Math.max(1, sockets.size() / 100);
        for (int i = 0; i < sockets.size(); i += step) {
            checked++;
            try {
                if (exchange(sockets.get(i), request)) {
                    ok++;
                }
            } catch (IOException e) {
                // counted as not alive
            }
        }
        System.out.printf(Locale.ROOT, "alive %d/%d%n", ok, checked);
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** Sends the request and reads one complete response (Content-Length or chunked); true on a 2xx. */
    private static boolean exchange(Socket socket, byte[] request) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(request);
        out.flush();
        // A fresh buffer per exchange is safe: the server sends nothing beyond the one response.
        InputStream in = new BufferedInputStream(socket.getInputStream(), 4096);
        String status = readLine(in);
        if (status == null) {
            return false;
        }
        long contentLength = -1;
        boolean chunked = false;
        String line;
        while ((line = readLine(in)) != null && !line.isEmpty()) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                contentLength = Long.parseLong(lower.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        if (chunked) {
            while (true) {
                String size = readLine(in);
                if (size == null) {
                    return false;
                }
                int semi = size.indexOf(';');
                long n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (n == 0) {
                    while ((line = readLine(in)) != null && !line.isEmpty()) {
                        // trailers
                    }
                    break;
                }
                skip(in, n + 2);
            }
        } else if (contentLength > 0) {
            skip(in, contentLength);
        }
        String[] parts = status.split(" ", 3);
        return parts.length >= 2 && parts[1].startsWith("2");
    }

    private static void skip(InputStream in, long n) throws IOException {
        byte[] buffer = new byte[8192];
        while (n > 0) {
            int read = in.read(buffer, 0, (int) Math.min(buffer.length, n));
            if (read < 0) {
                throw new IOException("connection closed mid-body");
            }
            n -= read;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder(64);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int length = line.length();
                if (length > 0 && line.charAt(length - 1) == '\r') {
                    line.setLength(length - 1);
                }
                return line.toString();
            }
            line.append((char) c);
        }
        return line.length() == 0 ? null : line.toString();
    }
}
