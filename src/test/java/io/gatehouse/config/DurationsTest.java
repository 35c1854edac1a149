package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @Test
    void parsesEveryUnit() {
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("0s")).isEqualTo(Duration.ZERO);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10", "1.5s", "-1s", "10 s", "10sec", "s", "", " 10s", "10S", "1d", "1h30m"})
    void rejectsAnythingElseNamingTheAcceptedForms(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid duration '" + text + "'; write a whole number followed by ms, s, m or h,"
                        + " like 250ms, 10s, 5m or 1h");
    }

    @Test
    void rejectsADurationTooLargeToRepresent() {
        assertThatThrownBy(() -> Durations.parse("99999999999999999999h"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("duration '99999999999999999999h' is too large");
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> Durations.parse(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("missing duration; write a whole number");
    }

    @ParameterizedTest
    @CsvSource({
            "PT0S, 0s",
            "PT0.25S, 250ms",
            "PT1.5S, 1500ms",
            "PT30S, 30s",
            "PT60S, 60s",
            "PT90S, 90s",
            "PT10M, 10m",
            "PT1H, 1h",
            "PT1H30M, 90m",
            "PT25H, 25h",
    })
    void formatsInTheUnitAPersonWouldWrite(String iso, String expected) {
        assertThat(Durations.format(Duration.parse(iso))).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"250ms", "1500ms", "59s", "60s", "61s", "2m", "90m", "1h", "48h"})
    void formatThenParseGivesTheSameDuration(String text) {
        Duration d = Durations.parse(text);
        assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
    }

    @Test
    void refusesToFormatANegativeDuration() {
        assertThatThrownBy(() -> Durations.format(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
