package io.gatehouse.proxy;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.TestBackend;
import io.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Backpressure on the way in: a backend that stops reading a large upload must stop the gateway reading it from
 * the client, so the client's writes stall after a few socket buffers' worth instead of the gateway queueing the
 * body in memory; when the backend reads again, the client may send again. Flat memory is shown by its cause, the
 * client's stalled writes, not timed.
 */
class UploadBackpressureIT {

    private static final long UPLOAD = 256L * 1024 * 1024;
    /** Far above what the sockets on the way can hold (about 12 MiB here), far below the upload. */
    private static final long SOCKET_BUFFERS = 64L * 1024 * 1024;

    private final CountDownLatch readSome = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicLong backendRead = new AtomicLong();
    private TestBackend backend;
    private TestGateway gateway;

    @BeforeEach
    void start() {
        backend = TestBackend.start((request, connection) -> {
            // Reads nothing of the body until told to, then 4 MiB of it, then nothing more until the end.
            readSome.await(30, TimeUnit.SECONDS);
            InputStream in = connection.input();
            byte[] buffer = new byte[64 * 1024];
            while (backendRead.get() < 4L * 1024 * 1024) {
                int n = in.read(buffer);
                if (n < 0) {
                    return;
                }
                backendRead.addAndGet(n);
            }
            release.await(30, TimeUnit.SECONDS);
        });
        gateway = TestGateway.start("""
                server:
                  host: 127.0.0.1
                  port: 0
                  body_timeout: 30s
                routes:
                  - prefix: /
                    upstream: %s
                    auth: none
                    timeout: 30s
                    max_body: 0
                """.formatted(backend.url()));
    }

    @AfterEach
    void stop() {
        readSome.countDown();
        release.countDown();
        gateway.close();
        backend.close();
    }

    @Test
    void aBackendThatStopsReadingAnUploadStallsTheClientsWrites() throws Exception {
        AtomicLong clientSent = new AtomicLong();
        try (RawHttpClient client = new RawHttpClient(gateway.port())) {
            client.send("POST /upload HTTP/1.1\r\nHost: gw\r\nContent-Length: " + UPLOAD + "\r\n\r\n");
            Thread writer = new Thread(() -> {
                byte[] block = new byte[64 * 1024];
                try {
                    for (long sent = 0; sent < UPLOAD; sent += block.length) {
                        client.send(block);
                        clientSent.addAndGet(block.length);
                    }
                } catch (IOException closed) {
                    // the test is over and closed the connection
                }
            }, "uploader");
            writer.setDaemon(true);
            writer.start();

            long stalledAt = Await.stall(clientSent, Duration.ofSeconds(20), "bytes the client wrote");
            assertThat(stalledAt).as("bytes the client got rid of while the backend read nothing")
                    .isLessThan(SOCKET_BUFFERS);

            // The backend reads 4 MiB: about that much more of the client's body gets through, and no more.
            readSome.countDown();
            long afterRead = Await.stall(clientSent, Duration.ofSeconds(20), "bytes the client wrote");
            assertThat(backendRead.get()).isGreaterThanOrEqualTo(4L * 1024 * 1024);
            assertThat(afterRead).isGreaterThan(stalledAt).isLessThan(stalledAt + backendRead.get() + SOCKET_BUFFERS);
        }
    }

}
