package io.gatehouse.tracing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class TraceParentTest {

    private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void continuesAValidTraceWithANewParent() {
        TraceParent next = TraceParent.next(VALID, true);
        assertThat(next.continued()).isTrue();
        assertThat(next.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(next.spanId()).hasSize(16).isNotEqualTo("00f067aa0ba902b7").matches("[0-9a-f]{16}");
        assertThat(next.header()).matches("00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01");
    }

    @Test
    void continuesALaterVersionWithMoreFields() {
        assertThat(TraceParent.valid("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")).isTrue();
        assertThat(TraceParent.valid("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            ""})
    void startsANewTraceForAnInvalidOne(String value) {
        TraceParent next = TraceParent.next(value, true);
        assertThat(next.continued()).isFalse();
        assertThat(next.traceId()).matches("[0-9a-f]{32}").isNotEqualTo("4bf92f3577b34da6a3ce929d0e0e4736")
                .isNotEqualTo("0".repeat(32));
        assertThat(TraceParent.valid(next.header())).isTrue();
    }

    @Test
    void startsANewTraceWhenIncomingTraceIsNotTrusted() {
        TraceParent next = TraceParent.next(VALID, false);
        assertThat(next.continued()).isFalse();
        assertThat(next.traceId()).isNotEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }

    @Test
    void startsANewTraceWithoutOne() {
        TraceParent first = TraceParent.next(null, true);
        TraceParent second = TraceParent.next(null, true);
        assertThat(first.traceId()).isNotEqualTo(second.traceId());
        assertThat(first.header()).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
    }
}
