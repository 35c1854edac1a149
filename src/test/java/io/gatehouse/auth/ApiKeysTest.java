package io.gatehouse.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ApiKeyConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

class ApiKeysTest {

    private final ApiKeys keys = ApiKeys.of(List.of(
            new ApiKeyConfig("key_live_abc123", "mobile-app", 100),
            new ApiKeyConfig("key_live_def456_and_a_much_longer_tail", "web-dashboard", 500)));

    @Test
    void findsTheClientOfEachKnownKey() {
        assertThat(keys.lookup("key_live_abc123")).isEqualTo(new ApiClient("mobile-app", 100));
        assertThat(keys.lookup("key_live_def456_and_a_much_longer_tail"))
                .isEqualTo(new ApiClient("web-dashboard", 500));
        assertThat(keys.size()).isEqualTo(2);
    }

    @Test
    void findsNothingForAnUnknownKey() {
        assertThat(keys.lookup("key_live_zzz999")).isNull();
        assertThat(keys.lookup("")).isNull();
    }

    @Test
    void findsNothingForAPrefixOrAnExtensionOfAKnownKey() {
        assertThat(keys.lookup("key_live_abc12")).isNull();
        assertThat(keys.lookup("key_live_abc1234")).isNull();
        assertThat(keys.lookup("key_live_def456")).isNull();
    }

    @Test
    void comparesKeysByExactCase() {
        assertThat(keys.lookup("KEY_LIVE_ABC123")).isNull();
    }

    @Test
    void acceptsNoKeyWhenNoneAreConfigured() {
        assertThat(ApiKeys.of(List.of()).lookup("key_live_abc123")).isNull();
    }
}
