package org.poolkeeper.tools.hostile;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What one phase (one row of the report) found: its figures, in the order they were taken, both for the table and
 * for results.json, and every check that failed, with its detail.
 */
final class PhaseResult {
    private static final ObjectMapper JSON = new ObjectMapper();

    final String name;
    private final ObjectNode json = JSON.createObjectNode();
    private final List<String> figures = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();

    PhaseResult(String name) {
        this.name = name;
        json.put("phase", name);
    }

    PhaseResult figure(String key, long value) {
        json.put(key, value);
        figures.add(key + " " + String.format(Locale.ROOT, "%,d", value));
        return this;
    }

    PhaseResult figure(String key, double value) {
        json.put(key, value);
        figures.add(key + " " + String.format(Locale.ROOT, "%.1f", value));
        return this;
    }

    PhaseResult figure(String key, String value) {
        json.put(key, value);
        figures.add(key + " " + value);
        return this;
    }

    /** A figure only in results.json (a breakdown too long for the table). */
    PhaseResult detail(String key, String value) {
        json.put(key, value);
        return this;
    }

    /** Records a failed check unless {@code ok}. */
    PhaseResult check(boolean ok, String format, Object... args) {
        if (!ok) {
            fail(format, args);
        }
        return this;
    }

    PhaseResult fail(String format, Object... args) {
        failures.add(String.format(Locale.ROOT, format, args));
        return this;
    }

    boolean pass() {
        return failures.isEmpty();
    }

    List<String> failures() {
        return failures;
    }

    String figures() {
        return String.join("; ", figures);
    }

    ObjectNode toJson() {
        ObjectNode n = json.deepCopy();
        n.put("pass", pass());
        ArrayNode f = n.putArray("failures");
        failures.forEach(f::add);
        return n;
    }
}
