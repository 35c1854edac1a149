import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording for scripts/bench's profile part.
 *
 * <pre>java scripts/JfrTop.java RECORDING.jfr [TOP]</pre>
 *
 * Prints, from jdk.ExecutionSample events: samples per thread, the top methods by self samples (the frame on top
 * of the stack), the top methods by inclusive samples (anywhere on the stack, counted once per sample), and the
 * top Gatehouse (io.gatehouse) methods by inclusive samples; from jdk.ObjectAllocationSample: the top allocation
 * sites (first io.gatehouse frame and top frame) by sampled weight.
 */
public final class JfrTop {

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int top = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> inclusive = new HashMap<>();
        Map<String, Long> threads = new HashMap<>();
        Map<String, Long> selfChains = new HashMap<>();
        Map<String, Long> allocTop = new HashMap<>();
        Map<String, Long> allocOwn = new HashMap<>();
        Map<String, Long> allocClass = new HashMap<>();
        long samples = 0;
        long allocWeight = 0;
        Map<String, Long> nativeTop = new HashMap<>();
        long nativeSamples = 0;
        double jvmUser = 0;
        double jvmSystem = 0;
        double machine = 0;
        int cpuEvents = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
            String type = event.getEventType().getName();
            if (type.equals("jdk.ExecutionSample")) {
                RecordedStackTrace stack = event.getStackTrace();
                if (stack == null || stack.getFrames().isEmpty()) {
                    continue;
                }
                samples++;
                RecordedThread thread = event.getThread("sampledThread");
                threads.merge(threadGroup(thread == null ? "?" : thread.getJavaName()), 1L, Long::sum);
                List<RecordedFrame> frames = stack.getFrames();
                self.merge(name(frames.get(0)), 1L, Long::sum);
                StringBuilder chain = new StringBuilder(name(frames.get(0)));
                for (int i = 1; i < Math.min(4, frames.size()); i++) {
                    chain.append("\n           <- ").append(name(frames.get(i)));
                }
                selfChains.merge(chain.toString(), 1L, Long::sum);
                Set<String> seen = new HashSet<>();
                for (RecordedFrame frame : frames) {
                    String n = name(frame);
                    if (seen.add(n)) {
                        inclusive.merge(n, 1L, Long::sum);
                    }
                }
            } else if (type.equals("jdk.NativeMethodSample")) {
                RecordedStackTrace stack = event.getStackTrace();
                if (stack != null && !stack.getFrames().isEmpty()) {
                    nativeSamples++;
                    nativeTop.merge(name(stack.getFrames().get(0)), 1L, Long::sum);
                }
            } else if (type.equals("jdk.CPULoad")) {
                jvmUser += event.getFloat("jvmUser");
                jvmSystem += event.getFloat("jvmSystem");
                machine += event.getFloat("machineTotal");
                cpuEvents++;
            } else if (type.equals("jdk.ObjectAllocationSample")) {
                long weight = event.getLong("weight");
                allocWeight += weight;
                RecordedStackTrace stack = event.getStackTrace();
                String objectClass = event.getClass("objectClass") == null ? "?" : event.getClass("objectClass").getName();
                allocClass.merge(objectClass, weight, Long::sum);
                if (stack != null && !stack.getFrames().isEmpty()) {
                    List<RecordedFrame> frames = stack.getFrames();
                    allocTop.merge(name(frames.get(0)) + "  [" + objectClass + "]", weight, Long::sum);
                    for (RecordedFrame frame : frames) {
                        String n = name(frame);
                        if (n.startsWith("io.gatehouse.")) {
                            allocOwn.merge(n, weight, Long::sum);
                            break;
                        }
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "%d execution samples (threads running Java code), %d native-method samples%n",
                samples, nativeSamples);
        if (cpuEvents > 0) {
            System.out.printf(Locale.ROOT, "CPU (of the whole machine, mean of %d jdk.CPULoad events): JVM user %.0f%%,"
                    + " JVM system %.0f%%, machine total %.0f%%%n",
                    cpuEvents, 100 * jvmUser / cpuEvents, 100 * jvmSystem / cpuEvents, 100 * machine / cpuEvents);
        }
        print("samples by thread", threads, samples, top);
        print("top methods by self samples", self, samples, top);
        print("top self samples with their three callers", selfChains, samples, 12);
        print("top methods by inclusive samples", inclusive, samples, top);
        Map<String, Long> own = new HashMap<>();
        inclusive.forEach((k, v) -> {
            if (k.startsWith("io.gatehouse.")) {
                own.put(k, v);
            }
        });
        print("Gatehouse methods by inclusive samples", own, samples, top);
        if (nativeSamples > 0) {
            print("native-method samples by top frame (threads in native code: syscalls, waiting)", nativeTop,
                    nativeSamples, 10);
        }
        if (allocWeight > 0) {
            print("allocation (sampled weight) by class", allocClass, allocWeight, top);
            print("allocation by top frame", allocTop, allocWeight, top);
            print("allocation by first io.gatehouse frame", allocOwn, allocWeight, top);
        }
    }

    private static String threadGroup(String name) {
        // "epollEventLoopGroup-3-1" and "-3-2" are the same kind of thread: group them.
        return name.replaceAll("-\\d+$", "-N");
    }

    private static String name(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }

    private static void print(String title, Map<String, Long> counts, long total, int top) {
        System.out.printf(Locale.ROOT, "%n== %s ==%n", title);
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(top)
                .forEach(e -> System.out.printf(Locale.ROOT, "%6.2f%%  %s%n", 100.0 * e.getValue() / total, e.getKey()));
    }
}
