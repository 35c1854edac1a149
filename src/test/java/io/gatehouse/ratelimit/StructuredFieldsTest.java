package io.gatehouse.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.config.RateLimitPolicyConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

class StructuredFieldsTest {

    private static final RateLimitPolicyConfig BURST = new RateLimitPolicyConfig("burst", 20, Duration.ofSeconds(1));
    private static final RateLimitPolicyConfig DAILY = new RateLimitPolicyConfig("daily", 10000, Duration.ofHours(24));

    @Test
    void writesTheIssuesExampleFields() {
        RateLimitResult result = RateLimitResult.of(List.of(
                new RateLimitResult.Applied(BURST, RateLimitDecision.allow(20, 12, 800)),
                new RateLimitResult.Applied(DAILY, RateLimitDecision.allow(10000, 9876, 41_233_500))));

        assertThat(RateLimitFields.policy(result)).isEqualTo("\"burst\";q=20;w=1, \"daily\";q=10000;w=86400");
        assertThat(RateLimitFields.limit(result)).isEqualTo("\"burst\";r=12;t=1, \"daily\";r=9876;t=41234");
    }

    @Test
    void aRefusingPolicysTIsItsWaitAndNeverZero() {
        RateLimitResult result = RateLimitResult.of(List.of(
                new RateLimitResult.Applied(BURST, RateLimitDecision.allow(20, 20, 0)),
                new RateLimitResult.Applied(DAILY, RateLimitDecision.reject(10000, 1, 5_000))));

        assertThat(RateLimitFields.limit(result)).isEqualTo("\"burst\";r=20;t=0, \"daily\";r=0;t=1");
    }

    @Test
    void roundsASubSecondWindowUpToOneSecond() {
        RateLimitPolicyConfig fast = RateLimitPolicyConfig.defaultPolicy(5, Duration.ofMillis(500));
        RateLimitResult result = RateLimitResult.of(fast, RateLimitDecision.allow(5, 4, 500));

        assertThat(RateLimitFields.policy(result)).isEqualTo("\"default\";q=5;w=1");
    }

    @Test
    void escapesQuotesAndBackslashesInStrings() {
        assertThat(StructuredFields.string(new StringBuilder(), "a\"b\\c").toString()).isEqualTo("\"a\\\"b\\\\c\"");
    }

    @Test
    void refusesWhatAStructuredFieldCannotHold() {
        assertThatThrownBy(() -> StructuredFields.string(new StringBuilder(), "caf\u00e9"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StructuredFields.string(new StringBuilder(), "a\nb"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StructuredFields.integerParameter(new StringBuilder(), "q", 1_000_000_000_000_000L))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StructuredFields.integerParameter(new StringBuilder(), "Q", 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StructuredFields.integerParameter(new StringBuilder(), "1q", 1))
                .isInstanceOf(IllegalArgumentException.class);
        StructuredFields.checkKey("*a_b-c.d*9");
    }

    @Test
    void everyFieldParsesBackAsAStructuredFieldListWithTheSameItems() {
        List<RateLimitPolicyConfig> policies = List.of(BURST, DAILY,
                new RateLimitPolicyConfig("Per-Minute_2.x", 1_000_000_000L, Duration.ofDays(31)));
        List<RateLimitResult.Applied> applied = new ArrayList<>();
        for (RateLimitPolicyConfig p : policies) {
            applied.add(new RateLimitResult.Applied(p, RateLimitDecision.allow(p.limit(), p.limit() - 1, 999)));
        }
        RateLimitResult result = RateLimitResult.of(applied);

        List<SfItem> policy = SfListParser.parse(RateLimitFields.policy(result));
        List<SfItem> limit = SfListParser.parse(RateLimitFields.limit(result));

        assertThat(policy).extracting(SfItem::value).containsExactly("burst", "daily", "Per-Minute_2.x");
        assertThat(policy.get(2).params()).containsExactly(Map.entry("q", 1_000_000_000L), Map.entry("w", 2_678_400L));
        assertThat(limit.get(1).params()).containsExactly(Map.entry("r", 9999L), Map.entry("t", 1L));
        assertThat(SfListParser.parse("\"a\\\"b\";x=-3 ,\t\"c\"")).containsExactly(
                new SfItem("a\"b", Map.of("x", -3L)), new SfItem("c", Map.of()));
    }

    @Test
    void theTestParserRejectsWhatIsNotAStructuredFieldList() {
        for (String bad : List.of("burst;q=1", "\"a\";Q=1", "\"a\",", "\"a\" \"b\"", "\"a\";q=1.5x", "\"a\\z\"",
                "\"a\";q=1234567890123456")) {
            assertThatThrownBy(() -> SfListParser.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** One member of a List: a String bare item and Integer parameters (all these fields use). */
    record SfItem(String value, Map<String, Long> params) {
    }

    /**
     * An RFC 9651 §4.2.1 List parser for Items of String bare items with Integer parameters, written from the RFC's
     * parsing algorithm and independent of the serializer: anything else is refused.
     */
    static final class SfListParser {
        private final String in;
        private int pos;

        private SfListParser(String in) {
            this.in = in;
        }

        static List<SfItem> parse(String field) {
            SfListParser p = new SfListParser(field);
            p.skipSp();
            List<SfItem> members = new ArrayList<>();
            while (p.pos < p.in.length()) {
                members.add(p.item());
                p.skipOws();
                if (p.pos >= p.in.length()) {
                    return members;
                }
                p.expect(',');
                p.skipOws();
                if (p.pos >= p.in.length()) {
                    throw new IllegalArgumentException("trailing comma");
                }
            }
            return members;
        }

        private SfItem item() {
            String value = string();
            Map<String, Long> params = new LinkedHashMap<>();
            while (pos < in.length() && in.charAt(pos) == ';') {
                pos++;
                skipSp();
                String key = key();
                expect('=');
                params.put(key, integer());
            }
            return new SfItem(value, params);
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (pos < in.length()) {
                char c = in.charAt(pos++);
                if (c == '\\') {
                    if (pos >= in.length()) {
                        throw new IllegalArgumentException("dangling backslash");
                    }
                    char next = in.charAt(pos++);
                    if (next != '"' && next != '\\') {
                        throw new IllegalArgumentException("bad escape");
                    }
                    out.append(next);
                } else if (c == '"') {
                    return out.toString();
                } else if (c < 0x20 || c > 0x7e) {
                    throw new IllegalArgumentException("bad character in string");
                } else {
                    out.append(c);
                }
            }
            throw new IllegalArgumentException("unterminated string");
        }

        private String key() {
            int start = pos;
            if (pos >= in.length() || !(Character.isLowerCase(in.charAt(pos)) || in.charAt(pos) == '*')) {
                throw new IllegalArgumentException("bad key");
            }
            pos++;
            while (pos < in.length() && (in.charAt(pos) >= 'a' && in.charAt(pos) <= 'z'
                    || Character.isDigit(in.charAt(pos)) || "_-.*".indexOf(in.charAt(pos)) >= 0)) {
                pos++;
            }
            return in.substring(start, pos);
        }

        private long integer() {
            int start = pos;
            if (pos < in.length() && in.charAt(pos) == '-') {
                pos++;
            }
            int digits = pos;
            while (pos < in.length() && in.charAt(pos) >= '0' && in.charAt(pos) <= '9') {
                pos++;
            }
            if (pos == digits || pos - digits > 15) {
                throw new IllegalArgumentException("bad integer");
            }
            if (pos < in.length() && in.charAt(pos) == '.') {
                throw new IllegalArgumentException("decimals are not expected here");
            }
            return Long.parseLong(in.substring(start, pos));
        }

        private void expect(char c) {
            if (pos >= in.length() || in.charAt(pos) != c) {
                throw new IllegalArgumentException("expected '" + c + "' at " + pos + " in " + in);
            }
            pos++;
        }

        private void skipSp() {
            while (pos < in.length() && in.charAt(pos) == ' ') {
                pos++;
            }
        }

        private void skipOws() {
            while (pos < in.length() && (in.charAt(pos) == ' ' || in.charAt(pos) == '\t')) {
                pos++;
            }
        }
    }
}
