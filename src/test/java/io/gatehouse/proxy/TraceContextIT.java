package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** W3C trace context as the backend receives it. */
class TraceContextIT {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String VALID = "00-" + TRACE + "-00f067aa0ba902b7-01";

    private GatewayFixture gateway;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private void start(String... blocks) {
        gateway = GatewayFixture.withBackend(TestBackend.ok("ok")).start(url -> {
            GatewayYaml yaml = GatewayYaml.standard().openRoute("/", url);
            for (String block : blocks) {
                yaml.block(block);
            }
            return yaml;
        });
    }

    private TestBackend.Request send(String... headers) throws Exception {
        assertThat(gateway.exchange("GET /x HTTP/1.1\r\nHost: gw\r\n" + String.join("", headers) + "\r\n")
                .status()).isEqualTo(200);
        return gateway.lastRequest();
    }

    @Test
    void keepsAValidTraceIdWithTheGatewaysSpanAsParentAndForwardsTracestate() throws Exception {
        start();
        TestBackend.Request request = send("traceparent: " + VALID + "\r\n", "tracestate: vendor=abc\r\n");
        assertThat(request.headers("traceparent")).hasSize(1);
        assertThat(request.header("traceparent")).matches("00-" + TRACE + "-[0-9a-f]{16}-01")
                .isNotEqualTo(VALID);
        assertThat(request.header("tracestate")).isEqualTo("vendor=abc");
        assertThat(request.header("X-Request-Id")).isNotNull();
    }

    @Test
    void replacesEachKindOfInvalidOneAndDropsItsTracestate() throws Exception {
        start();
        String[] invalid = {
                "00-" + TRACE + "-00f067aa0ba902b7-1",            // wrong length
                "ff-" + TRACE + "-00f067aa0ba902b7-01",           // version ff
                "00-" + "0".repeat(32) + "-00f067aa0ba902b7-01",  // all-zero trace id
                "00-" + TRACE + "-0000000000000000-01",           // all-zero parent id
                "00-" + TRACE.toUpperCase() + "-00f067aa0ba902b7-01", // not lower case
        };
        for (String value : invalid) {
            TestBackend.Request request = send("traceparent: " + value + "\r\n", "tracestate: vendor=abc\r\n");
            assertThat(request.header("traceparent")).as(value).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01")
                    .doesNotContain(TRACE).doesNotContain(TRACE.toUpperCase());
            assertThat(request.header("tracestate")).as(value).isNull();
        }
        TestBackend.Request twice = send("traceparent: " + VALID + "\r\n", "traceparent: " + VALID + "\r\n");
        assertThat(twice.header("traceparent")).doesNotContain(TRACE);
    }

    @Test
    void theBackendAlwaysGetsOne() throws Exception {
        start();
        String first = send().header("traceparent");
        String second = send().header("traceparent");
        assertThat(first).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
        assertThat(second.substring(3, 35)).isNotEqualTo(first.substring(3, 35));
    }

    @Test
    void startsANewTraceForEveryRequestWhenIncomingIsNotTrusted() throws Exception {
        start("tracing:\n  trust_incoming: false\n");
        TestBackend.Request request = send("traceparent: " + VALID + "\r\n", "tracestate: vendor=abc\r\n");
        assertThat(request.header("traceparent")).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01").doesNotContain(TRACE);
        assertThat(request.header("tracestate")).isNull();
    }
}
