package io.gatehouse.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

/**
 * Applied to every test class (auto-detected): after the class, collects garbage and fails if Netty reported a
 * leaked buffer during it.
 */
public final class LeakDetectionExtension implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> reports = LeakRecorder.collect();
        if (!reports.isEmpty()) {
            LeakRecorder.clear();
            throw new AssertionError("Netty reported " + reports.size() + " leaked buffer(s) in "
                    + context.getDisplayName() + ":\n" + String.join("\n", reports));
        }
    }
}
