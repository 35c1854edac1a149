package io.gatehouse.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.lang.reflect.Proxy;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The leak check itself can fail: a buffer dropped without a release is reported by Netty's detector, and the
 * extension that runs after every test class turns the report into a failure. Without this test a broken
 * detector setup would leave every other test green while buffers leak.
 */
class LeakDetectionExtensionTest {

    @Test
    void aBufferDroppedWithoutReleaseFailsTheTestClass() {
        List<String> reports = List.of();
        for (int attempt = 0; attempt < 20 && reports.isEmpty(); attempt++) {
            leakOneBuffer();
            reports = LeakRecorder.collect();
        }
        assertThat(reports).as("Netty's detector reports a dropped buffer").isNotEmpty();
        assertThat(reports.get(0)).startsWith("LEAK: ");

        ExtensionContext context = (ExtensionContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ExtensionContext.class}, (proxy, method, args) ->
                        method.getName().equals("getDisplayName") ? "LeakyClass" : null);
        assertThatThrownBy(() -> new LeakDetectionExtension().afterAll(context))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("leaked buffer(s) in LeakyClass");
        // The failure clears what it reported, so this class's own check afterwards passes.
        assertThat(LeakRecorder.collect()).isEmpty();
    }

    private static void leakOneBuffer() {
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        leaked.writeLong(42);
    }
}
