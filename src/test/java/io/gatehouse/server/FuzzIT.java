package io.gatehouse.server;

import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.StrictRecordingBackend;
import io.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Throws thousands of mutated requests (byte flips, truncations, spliced headers and chunk lines) at the whole
 * server over real sockets. The gateway must answer or close every one of them within a deadline, forward nothing
 * that a strict parser could read two ways, leak no buffer (paranoid detection), and serve a normal request after.
 * The mutator is seeded: a failure names the seed and case, so it can be replayed.
 */
class FuzzIT {

    private static final long SEED = Long.getLong("fuzz.seed", 20261128L);
    private static final int CASES = Integer.getInteger("fuzz.cases", 3000);

    private static final String[] SEEDS = {
            "GET /api/echo/1?c={CASE}. HTTP/1.1\r\nHost: gw\r\nX-API-Key: k\r\n\r\n",
            "POST /api/echo/2?c={CASE}. HTTP/1.1\r\nHost: gw\r\nX-API-Key: k\r\nContent-Length: 5\r\n\r\nhello",
            "POST /api/echo/3?c={CASE}. HTTP/1.1\r\nHost: gw\r\nX-API-Key: k\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\n\r\n",
            "GET /api/echo/4?c={CASE}. HTTP/1.1\r\nHost: gw\r\nX-API-Key: k\r\n\r\n"
                    + "POST /api/echo/5?c={CASE}. HTTP/1.1\r\nHost: gw\r\nX-API-Key: k\r\nContent-Length: 3\r\n\r\nabc",
            "GET /api/echo/6?c={CASE}. HTTP/1.0\r\nX-API-Key: k\r\n\r\n",
            "PUT /api/echo/7?c={CASE}. HTTP/1.1\r\nHost: gw\r\nX-API-Key: k\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
    };

    private static final String[] HEADER_LINES = {
            "Transfer-Encoding: chunked", "Content-Length: 3", "Content-Length: 5, 5", "Content-Length: +5",
            "Transfer-Encoding: gzip, chunked", "Transfer-Encoding: chunked, gzip", "Transfer-Encoding : chunked",
            "Host: other", "Host: a, b", " folded", "X_API_Key: k", "Connection: close", "Connection: X-Request-Id",
            "Expect: 100-continue", "X-API-Key: k, k2", "Content-Length: 99999999999999999999", "Upgrade: h2c",
    };

    private static final byte[] SPECIAL = "\r\n\0 \t:,;\"-+0123456789abcdefxX%/.?#\u007f".getBytes(StandardCharsets.ISO_8859_1);

    private static StrictRecordingBackend backend;
    private static TestGateway gateway;

    @BeforeAll
    static void start() throws InterruptedException {
        backend = new StrictRecordingBackend();
        gateway = TestGateway.start(GatewayYaml.loopback()
                .key("k", "fuzzer", 1000000000)
                .route("/api/echo", "http://127.0.0.1:" + backend.port(), "timeout: 2s")
                .build());
    }

    @AfterAll
    static void stop() {
        gateway.close();
        backend.close();
    }

    @Test
    void survivesThousandsOfMutatedRequestsAndForwardsNothingAmbiguous() throws Exception {
        Random random = new Random(SEED);
        List<String> hangs = new ArrayList<>();
        Map<Integer, byte[]> ambiguous = new LinkedHashMap<>();
        for (int i = 0; i < CASES; i++) {
            byte[] input = mutate(random, i);
            if (!answeredOrClosed(input)) {
                hangs.add("case " + i + " (seed " + SEED + "): " + printable(input));
            }
            if (hasAmbiguousFraming(input)) {
                ambiguous.put(i, input);
            }
        }

        // A normal request afterwards: served, and by then everything forwarded earlier has arrived.
        try (RawHttpClient client = new RawHttpClient(gateway.port())) {
            client.send("GET /api/echo/after HTTP/1.1\r\nHost: gw\r\nX-API-Key: k\r\n\r\n");
            RawHttpClient.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("ok");
        }

        assertThat(hangs).as("inputs the gateway neither answered nor closed within 5 s").isEmpty();
        assertThat(ambiguous).as("the mutator produces ambiguous framing").isNotEmpty();
        Set<String> received = backend.targets();
        List<String> forwardedAmbiguous = new ArrayList<>();
        ambiguous.forEach((i, input) -> {
            if (received.stream().anyMatch(target -> target.contains("c=" + i + "."))) {
                forwardedAmbiguous.add("case " + i + " (seed " + SEED + "): " + printable(input));
            }
        });
        assertThat(forwardedAmbiguous).as("requests with ambiguous framing that reached the backend").isEmpty();
        assertThat(backend.violations()).as("ambiguous requests forwarded").isEmpty();
        assertThat(backend.requests()).as("some valid mutants reach the backend").isGreaterThan(CASES / 20);
    }

    /**
     * Whether the first request's header block frames its body ambiguously: Content-Length together with
     * Transfer-Encoding, two Content-Length lines, or a Transfer-Encoding that is not exactly {@code chunked}.
     */
    static boolean hasAmbiguousFraming(byte[] input) {
        String text = new String(input, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        String head = end < 0 ? text : text.substring(0, end);
        int lengths = 0;
        int codings = 0;
        boolean oddCoding = false;
        for (String line : head.split("\n")) {
            String lower = line.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("content-length")) {
                lengths++;
            } else if (lower.startsWith("transfer-encoding")) {
                codings++;
                int colon = lower.indexOf(':');
                oddCoding |= colon < 0 || !lower.substring(colon + 1).trim().equals("chunked");
            }
        }
        return (lengths > 0 && codings > 0) || lengths > 1 || codings > 1 || oddCoding;
    }

    /** Sends the bytes, ends the client's side, and waits for the gateway to close the connection. */
    private static boolean answeredOrClosed(byte[] input) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", gateway.port()), 2000);
            socket.setSoTimeout(5000);
            try {
                socket.getOutputStream().write(input);
                socket.shutdownOutput();
            } catch (IOException e) {
                return true; // the gateway already closed: an answer of its own
            }
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                while (in.read(buffer) != -1) {
                    // drain until the gateway closes
                }
                return true;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true; // reset by the gateway
            }
        }
    }

    private static byte[] mutate(Random random, int caseNumber) {
        byte[] input = SEEDS[random.nextInt(SEEDS.length)].replace("{CASE}", Integer.toString(caseNumber))
                .getBytes(StandardCharsets.ISO_8859_1);
        int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            input = switch (random.nextInt(6)) {
                case 0 -> flip(random, input);
                case 1 -> truncate(random, input);
                case 2 -> deleteSpan(random, input);
                case 3 -> duplicateLine(random, input);
                case 4 -> insertHeader(random, input);
                default -> splice(random, input);
            };
        }
        return input;
    }

    private static byte[] flip(Random random, byte[] input) {
        if (input.length == 0) {
            return input;
        }
        byte[] out = input.clone();
        int at = random.nextInt(out.length);
        out[at] = random.nextBoolean() ? SPECIAL[random.nextInt(SPECIAL.length)] : (byte) random.nextInt(256);
        return out;
    }

    private static byte[] truncate(Random random, byte[] input) {
        return input.length == 0 ? input : java.util.Arrays.copyOf(input, random.nextInt(input.length));
    }

    private static byte[] deleteSpan(Random random, byte[] input) {
        if (input.length < 2) {
            return input;
        }
        int from = random.nextInt(input.length);
        int to = Math.min(input.length, from + 1 + random.nextInt(8));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(input, 0, from);
        out.write(input, to, input.length - to);
        return out.toByteArray();
    }

    private static byte[] duplicateLine(Random random, byte[] input) {
        String text = new String(input, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r\n", -1);
        if (lines.length < 3) {
            return input;
        }
        int at = 1 + random.nextInt(lines.length - 2);
        List<String> out = new ArrayList<>(List.of(lines));
        out.add(at, lines[at]);
        return String.join("\r\n", out).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] insertHeader(Random random, byte[] input) {
        String text = new String(input, StandardCharsets.ISO_8859_1);
        int firstLineEnd = text.indexOf("\r\n");
        if (firstLineEnd < 0) {
            return input;
        }
        String header = HEADER_LINES[random.nextInt(HEADER_LINES.length)];
        String eol = random.nextInt(8) == 0 ? "\n" : "\r\n";
        return (text.substring(0, firstLineEnd + 2) + header + eol + text.substring(firstLineEnd + 2))
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] splice(Random random, byte[] input) {
        byte[] other = SEEDS[random.nextInt(SEEDS.length)].getBytes(StandardCharsets.ISO_8859_1);
        int cut = input.length == 0 ? 0 : random.nextInt(input.length);
        int from = random.nextInt(other.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(input, 0, cut);
        out.write(other, from, other.length - from);
        return out.toByteArray();
    }

    private static String printable(byte[] input) {
        StringBuilder out = new StringBuilder();
        for (byte b : input) {
            int c = b & 0xff;
            if (c == '\r') {
                out.append("\\r");
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c < 0x20 || c >= 0x7f) {
                out.append(String.format("\\x%02x", c));
            } else {
                out.append((char) c);
            }
        }
        return out.toString();
    }
}
