package org.poolkeeper.registrar;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP endpoint for operators: {@code GET /metrics} (Prometheus text format), {@code /health/live}
 * (200 while the process serves HTTP at all) and {@code /health/ready} (200 when ready, 503 otherwise, with what
 * is missing). One thread: a scrape is cheap, and nothing here may compete with the registrar's own work.
 */
final class HttpEndpoint {
    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoint.class);

    /** What /health/ready reports: ready when every part is. */
    record Readiness(boolean joined, boolean pulled, boolean bound, boolean serving) {
        boolean ready() {
            return joined && pulled && bound && serving;
        }

        String json() {
            return "{\"ready\":" + ready() + ",\"joined\":" + joined + ",\"pulled\":" + pulled + ",\"bound\":" + bound
                    + ",\"serving\":" + serving + "}\n";
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;

    private HttpEndpoint(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds and starts serving.
     *
     * @throws IllegalStateException naming the address and the setting when the port cannot be bound
     */
    static HttpEndpoint start(String host, int port, PrometheusMeterRegistry registry, Supplier<Readiness> readiness) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (BindException e) {
            throw new IllegalStateException("cannot bind the HTTP endpoint to " + host + ":" + port + " ("
                    + e.getMessage() + "); set poolkeeper.registrar.http-port (--http-port) to a free port, or -1");
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the HTTP endpoint on " + host + ":" + port + ": " + e);
        }
        server.createContext("/metrics", exchange -> {
            if (allowed(exchange)) {
                respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
            }
        });
        server.createContext("/health/live", exchange -> {
            if (allowed(exchange)) {
                respond(exchange, 200, "application/json", "{\"live\":true}\n");
            }
        });
        server.createContext("/health/ready", exchange -> {
            if (allowed(exchange)) {
                Readiness r = readiness.get();
                respond(exchange, r.ready() ? 200 : 503, "application/json", r.json());
            }
        });
        server.createContext("/", exchange -> {
            if (allowed(exchange)) {
                respond(exchange, 404, "text/plain; charset=utf-8",
                        "not found; this registrar serves /metrics, /health/live and /health/ready\n");
            }
        });
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "poolkeeper-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        LOG.debug("HTTP endpoint (metrics, health) listening on {}", server.getAddress());
        return new HttpEndpoint(server, executor);
    }

    /** GET and HEAD only; other methods get 405. */
    private static boolean allowed(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        if (method.equals("GET") || method.equals("HEAD")) {
            return true;
        }
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        respond(exchange, 405, "text/plain; charset=utf-8", "only GET and HEAD\n");
        return false;
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    int port() {
        return server.getAddress().getPort();
    }

    void stop() {
        server.stop(0);
        executor.shutdownNow();
    }
}
