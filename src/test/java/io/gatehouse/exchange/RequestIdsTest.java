package io.gatehouse.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

class RequestIdsTest {

    @Test
    void makesACanonicalLowerCaseVersion4Uuid() {
        for (int i = 0; i < 1000; i++) {
            String id = RequestIds.next().toString();

            assertThat(id).hasSize(36).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
            UUID uuid = UUID.fromString(id);
            assertThat(uuid.version()).isEqualTo(4);
            assertThat(uuid.variant()).isEqualTo(2);
            assertThat(uuid.toString()).isEqualTo(id);
        }
    }

    @Test
    void makesADifferentIdEachTime() {
        Set<AsciiString> ids = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            ids.add(RequestIds.next());
        }

        assertThat(ids).hasSize(100_000);
    }

    @Test
    void makesDifferentIdsOnDifferentThreads() throws InterruptedException {
        Set<String> ids = Collections.newSetFromMap(new ConcurrentHashMap<>());
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    ids.add(RequestIds.next().toString());
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }

        assertThat(ids).hasSize(40_000);
    }

    @Test
    void usesEveryHexDigitInTheRandomPositions() {
        Set<Character> digits = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            for (char c : RequestIds.next().toString().replace("-", "").toCharArray()) {
                digits.add(c);
            }
        }

        assertThat(digits).hasSize(16);
    }

    @Test
    void isTheHeaderNameTheGatewaySendsAndForwards() {
        assertThat(RequestIds.HEADER.toString()).isEqualTo("X-Request-Id");
    }
}
