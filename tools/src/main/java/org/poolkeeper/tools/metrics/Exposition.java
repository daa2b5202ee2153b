package org.poolkeeper.tools.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scrape of a registrar's {@code /metrics}: the samples of the Prometheus text exposition format (version
 * 0.0.4), parsed strictly (a line that is not in the format is an error, not skipped).
 */
public final class Exposition {
    /** One sample: a metric name, its labels, its value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private static final Pattern LINE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+-?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final List<Sample> samples;

    private Exposition(List<Sample> samples) {
        this.samples = Collections.unmodifiableList(samples);
    }

    /** GETs {@code http://endpoint/metrics} ({@code endpoint} is host:port) and parses it. */
    public static Exposition scrape(String endpoint, Duration timeout) throws IOException {
        HttpResponse<String> response;
        try {
            response = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + "/metrics"))
                    .timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while scraping " + endpoint, e);
        }
        if (response.statusCode() != 200) {
            throw new IOException("http://" + endpoint + "/metrics answered " + response.statusCode());
        }
        return parse(response.body());
    }

    /** Parses an exposition; throws {@link IllegalArgumentException} naming the first line not in the format. */
    public static Exposition parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw new IllegalArgumentException("not a sample line: " + line);
            }
            Map<String, String> labels = new TreeMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                int end = 0;
                while (l.find()) {
                    if (l.start() != end) {
                        throw new IllegalArgumentException("not a label list: " + line);
                    }
                    labels.put(l.group(1), l.group(2));
                    end = l.end();
                }
                if (end != m.group(3).length()) {
                    throw new IllegalArgumentException("not a label list: " + line);
                }
            }
            samples.add(new Sample(m.group(1), Collections.unmodifiableMap(labels), value(m.group(4), line)));
        }
        return new Exposition(samples);
    }

    private static double value(String v, String line) {
        return switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> {
                try {
                    yield Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a sample value: " + line);
                }
            }
        };
    }

    public List<Sample> samples() {
        return samples;
    }

    /** The samples named so that carry these labels (among others); {@code labels} are name, value, name, ... */
    public List<Sample> find(String name, String... labels) {
        Map<String, String> wanted = new LinkedHashMap<>();
        for (int i = 0; i + 1 < labels.length; i += 2) {
            wanted.put(labels[i], labels[i + 1]);
        }
        return samples.stream().filter(s -> s.name.equals(name)
                && s.labels.entrySet().containsAll(wanted.entrySet())).toList();
    }

    /** The sum of the samples {@link #find} finds, or NaN if there is none. */
    public double sum(String name, String... labels) {
        List<Sample> found = find(name, labels);
        return found.isEmpty() ? Double.NaN : found.stream().mapToDouble(Sample::value).sum();
    }
}
