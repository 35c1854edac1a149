package io.gatehouse.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records every leak report Netty's detector makes in this JVM, so a test run can fail on one. Installed by
 * {@link LeakDetectionSessionListener} before any buffer class is loaded.
 */
public final class LeakRecorder extends ResourceLeakDetectorFactory {

    private static final List<String> REPORTS = new CopyOnWriteArrayList<>();

    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                               long maxActive) {
        return new ResourceLeakDetector<>(resource, samplingInterval) {
            @Override
            protected boolean needReport() {
                return true;
            }

            @Override
            protected void reportTracedLeak(String resourceType, String records) {
                REPORTS.add("LEAK: " + resourceType + records);
                super.reportTracedLeak(resourceType, records);
            }

            @Override
            protected void reportUntracedLeak(String resourceType) {
                REPORTS.add("LEAK: " + resourceType + " (untraced)");
                super.reportUntracedLeak(resourceType);
            }
        };
    }

    /** Collects garbage and allocates, which makes the detector look at what was collected; returns the reports. */
    public static List<String> collect() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            for (int i = 0; i < 256; i++) {
                ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                pooled.release();
                ByteBuf heap = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
                heap.release();
            }
        }
        return new ArrayList<>(REPORTS);
    }

    /** Forgets the reports made so far (for the test that leaks on purpose). */
    public static void clear() {
        REPORTS.clear();
    }

    public static void install() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new LeakRecorder());
    }
}
