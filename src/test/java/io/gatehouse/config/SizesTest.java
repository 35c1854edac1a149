package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {

    @Test
    void parsesBytesAndEveryBinaryUnit() {
        assertThat(Sizes.parse("0")).isZero();
        assertThat(Sizes.parse("512")).isEqualTo(512);
        assertThat(Sizes.parse("512B")).isEqualTo(512);
        assertThat(Sizes.parse("16KiB")).isEqualTo(16 * 1024);
        assertThat(Sizes.parse("32KiB")).isEqualTo(32 * 1024);
        assertThat(Sizes.parse("10MiB")).isEqualTo(10L * 1024 * 1024);
        assertThat(Sizes.parse("1GiB")).isEqualTo(1024L * 1024 * 1024);
        assertThat(Sizes.parse("1TiB")).isEqualTo(1024L * 1024 * 1024 * 1024);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-1KiB", "1.5MiB", "0.5", "16 KiB", " 16KiB", "16KiB ", "16kib", "16KIB", "16K",
            "16Ki", "KiB", "", "1e3", "0x10", "+5", "16KiB2", "1MiB512KiB", "16 KB"})
    void rejectsAnythingElseNamingTheAcceptedForms(String text) {
        assertThatThrownBy(() -> Sizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid size '" + text + "'; write a whole number of bytes, optionally followed by B,"
                        + " KiB, MiB, GiB or TiB, like 512, 16KiB, 10MiB or 1GiB");
    }

    @ParameterizedTest
    @CsvSource({"16KB, 16KiB", "16kb, 16KiB", "10MB, 10MiB", "1GB, 1GiB", "2TB, 2TiB", "1Gb, 1GiB"})
    void rejectsDecimalLookingUnitsSuggestingTheBinaryOne(String text, String suggestion) {
        assertThatThrownBy(() -> Sizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid size '" + text + "'; KB, MB, GB and TB are not accepted because they may mean"
                        + " powers of 1000 or of 1024: write " + suggestion + " for the binary unit");
    }

    @Test
    void rejectsASizeTooLargeToRepresent() {
        assertThatThrownBy(() -> Sizes.parse("8388608TiB"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("size '8388608TiB' is too large");
        assertThatThrownBy(() -> Sizes.parse("99999999999999999999"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("size '99999999999999999999' is too large");
        assertThat(Sizes.parse("8388607TiB")).isEqualTo(8388607L * Sizes.TIB);
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> Sizes.parse(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("missing size; write a whole number of bytes, optionally followed by B, KiB, MiB, GiB"
                        + " or TiB, like 512, 16KiB, 10MiB or 1GiB");
    }

    @ParameterizedTest
    @CsvSource({"0, 0B", "512, 512B", "1023, 1023B", "1024, 1KiB", "16384, 16KiB", "1572864, 1536KiB",
            "10485760, 10MiB", "1073741824, 1GiB", "1099511627776, 1TiB", "1099511628800, 1073741825KiB"})
    void formatsInTheLargestExactUnit(long bytes, String text) {
        assertThat(Sizes.format(bytes)).isEqualTo(text);
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @Test
    void refusesToFormatANegativeSize() {
        assertThatThrownBy(() -> Sizes.format(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
