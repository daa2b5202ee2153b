package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.PoolElementClient;
import org.poolkeeper.client.PoolElementSpec;
import org.poolkeeper.client.PoolUserClient;
import org.poolkeeper.client.UnknownPoolHandleException;
import org.poolkeeper.tools.metrics.Exposition;

/** A registrar process's HTTP endpoint, scraped over real HTTP: the Prometheus exposition and the health checks. */
class MetricsEndpointTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The value of the one sample named so with these labels (among others). */
    static double value(Exposition samples, String name, String... labels) {
        List<Exposition.Sample> found = samples.find(name, labels);
        assertEquals(1, found.size(), () -> name + List.of(labels) + " once among the samples: " + found);
        return found.get(0).value();
    }

    private static HttpResponse<String> get(String endpoint, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aScrapeShowsTheRequestsServedAndTheHealthChecksAnswer() throws Exception {
        try (RegistrarProcess registrar = RegistrarProcess.start(0x3e7, List.of(),
                "poolkeeper.registrar.http-port=0")) {
            String http = registrar.http();
            assertFalse(http.isEmpty(), "the listening line names the HTTP endpoint");

            HttpResponse<String> live = get(http, "/health/live");
            assertEquals(200, live.statusCode());
            HttpResponse<String> ready = get(http, "/health/ready");
            assertEquals(200, ready.statusCode(), ready::body);
            assertTrue(new ObjectMapper().readTree(ready.body()).get("ready").asBoolean(), ready.body());

            ClientSettings settings = ClientSettings.of(registrar.asap());
            try (PoolElementClient pe = PoolElementClient.create(settings);
                 PoolUserClient pu = PoolUserClient.create(settings)) {
                for (int i = 1; i <= 5; i++) {
                    pe.registerBlocking(PoolElementSpec.builder("scraped", Policy.ROUND_ROBIN)
                            .address(new InetSocketAddress("127.0.0.1", 7000 + i)).peId(i).build());
                }
                for (int i = 0; i < 10; i++) {
                    assertEquals(3, pu.resolveBlocking("scraped", 3).size());
                }
                assertThrows(UnknownPoolHandleException.class, () -> pu.resolveBlocking("not-there", 3));

                HttpResponse<String> scrape = get(http, "/metrics");
                assertEquals(200, scrape.statusCode());
                assertTrue(scrape.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
                        scrape.headers()::toString);
                Exposition samples = Exposition.parse(scrape.body());
                assertEquals(5, value(samples, "poolkeeper_requests_total", "request", "registration", "result",
                        "ok"));
                assertEquals(10, value(samples, "poolkeeper_requests_total", "request", "resolution", "result",
                        "ok"));
                assertEquals(1, value(samples, "poolkeeper_requests_total", "request", "resolution", "result",
                        "unknown_pool_handle"));
                assertEquals(11, value(samples, "poolkeeper_request_latency_seconds_count", "request",
                        "resolution"));
                assertEquals(11, value(samples, "poolkeeper_request_latency_seconds_bucket", "request",
                        "resolution", "le", "+Inf"));
                assertEquals(5, value(samples, "poolkeeper_pool_elements"));
                assertEquals(1, value(samples, "poolkeeper_pools"));
                assertTrue(value(samples, "poolkeeper_connections") >= 2, "the PE's and the PU's connection");
                assertEquals(1, value(samples, "poolkeeper_ready"));
                assertTrue(value(samples, "jvm_memory_used_bytes", "area", "heap", "id", "Tenured Gen") > 0);
                assertTrue(value(samples, "process_uptime_seconds") > 0);
                assertTrue(value(samples, "process_resident_memory_bytes") > 10e6, "the JVM's RSS, in bytes");
                assertTrue(value(samples, "process_cpu_time_ns_total") > 0);
            }
            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + http + "/metrics"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
            assertEquals(404, get(http, "/nothing").statusCode());
        }
    }

    /** Each of the three ports, taken by another process, gets one line naming the option that moves it. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"--http-port", "--asap-port", "--cluster-port"})
    void aBusyPortStopsTheStartWithOneLineNamingTheOption(String option) throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            java.util.Map<String, String> ports = new java.util.LinkedHashMap<>(java.util.Map.of(
                    "--asap-port", "0", "--cluster-port", "0", "--http-port", "0"));
            ports.put(option, Integer.toString(taken.getLocalPort()));
            List<String> command = new java.util.ArrayList<>(List.of(Programs.launcher("registrar").toString()));
            ports.forEach((name, port) -> command.addAll(List.of(name, port)));
            Programs.Child child = new Programs.Child(command, "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
            try (child) {
                int status = child.waitFor(60);
                child.awaitOutput();
                assertEquals(1, status, () -> "exit status: " + child.stderr);
                List<String> ours = child.stderr.stream().filter(l -> l.startsWith("registrar:")).toList();
                assertEquals(1, ours.size(), () -> "one line of its own: " + child.stderr);
                assertTrue(ours.get(0).contains(option), ours::toString);
                assertTrue(ours.get(0).contains(":" + taken.getLocalPort()), ours::toString);
                assertFalse(String.join("\n", child.stderr).contains("\tat "), () -> "no stack trace: "
                        + child.stderr);
            }
        }
    }
}
