import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * Three dummy services for trying the gateway: users on 4001, orders on 4002, products on 4003. Each answers any
 * request with {"service": ..., "method": ..., "path": ..., "client": <X-Client-Name>, "request_id": ...}.
 */
public final class DemoBackends {

    public static void main(String[] args) throws IOException {
        String[] services = {"users", "orders", "products"};
        for (int i = 0; i < services.length; i++) {
            String service = services[i];
            int port = 4001 + i;
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
            server.setExecutor(Executors.newFixedThreadPool(4));
            server.createContext("/", exchange -> {
                exchange.getRequestBody().readAllBytes();
                String body = "{\"service\":\"" + service + "\",\"method\":\"" + exchange.getRequestMethod()
                        + "\",\"path\":\"" + escape(exchange.getRequestURI().toString())
                        + "\",\"client\":\"" + escape(header(exchange, "X-Client-Name"))
                        + "\",\"request_id\":\"" + escape(header(exchange, "X-Request-Id")) + "\"}\n";
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            });
            server.start();
            System.out.println(service + " service on http://localhost:" + port);
        }
        System.out.println("Press Ctrl-C to stop.");
    }

    private static String header(com.sun.net.httpserver.HttpExchange exchange, String name) {
        String value = exchange.getRequestHeaders().getFirst(name);
        return value == null ? "" : value;
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
