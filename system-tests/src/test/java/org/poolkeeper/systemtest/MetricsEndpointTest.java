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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.PoolElementClient;
import org.poolkeeper.client.PoolElementSpec;
import org.poolkeeper.client.PoolUserClient;
import org.poolkeeper.client.UnknownPoolHandleException;

/** A registrar process's HTTP endpoint, scraped over real HTTP: the Prometheus exposition and the health checks. */
class MetricsEndpointTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One sample of the text exposition format: a metric name, its labels, its value. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    private static final Pattern LINE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+\\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    /** Parses the Prometheus text format (version 0.0.4); fails on a line that is not in it. */
    static List<Sample> parse(String exposition) {
        List<Sample> samples = new ArrayList<>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            assertTrue(m.matches(), "a sample line: " + line);
            Map<String, String> labels = new TreeMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                int end = 0;
                while (l.find()) {
                    assertEquals(end, l.start(), "labels one after the other: " + line);
                    labels.put(l.group(1), l.group(2));
                    end = l.end();
                }
                assertEquals(m.group(3).length(), end, "only labels between the braces: " + line);
            }
            String v = m.group(4);
            double value = switch (v) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(v);
            };
            samples.add(new Sample(m.group(1), labels, value));
        }
        return samples;
    }

    /** The value of the one sample named so with these labels (among others). */
    static double value(List<Sample> samples, String name, String... labels) {
        Map<String, String> wanted = new LinkedHashMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            wanted.put(labels[i], labels[i + 1]);
        }
        List<Sample> found = samples.stream().filter(s -> s.name.equals(name)
                && s.labels.entrySet().containsAll(wanted.entrySet())).toList();
        assertEquals(1, found.size(), () -> name + wanted + " once among the samples: " + found);
        return found.get(0).value;
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
                List<Sample> samples = parse(scrape.body());
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
            }
            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + http + "/metrics"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
            assertEquals(404, get(http, "/nothing").statusCode());
        }
    }

    @Test
    void aBusyHttpPortStopsTheStartWithOneLineNamingTheOption() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            Programs.Child child = new Programs.Child(List.of(Programs.launcher("registrar").toString(),
                    "--asap-port", "0", "--cluster-port", "0", "--http-port", Integer.toString(taken.getLocalPort())),
                    "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
            try (child) {
                int status = child.waitFor(60);
                child.awaitOutput();
                assertEquals(1, status, () -> "exit status: " + child.stderr);
                List<String> ours = child.stderr.stream().filter(l -> l.startsWith("registrar:")).toList();
                assertEquals(1, ours.size(), () -> "one line of its own: " + child.stderr);
                assertTrue(ours.get(0).contains("--http-port"), ours::toString);
                assertFalse(String.join("\n", child.stderr).contains("\tat "), () -> "no stack trace: "
                        + child.stderr);
            }
        }
    }
}
