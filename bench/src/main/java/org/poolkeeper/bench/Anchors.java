package org.poolkeeper.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.poolkeeper.handlespace.PolicyType;

/**
 * RSPLIB 3.4.4's figures for the bench's cells, read from {@code rsplib-3.4.4.csv} on the class path (a copy of the
 * project's peer anchors, measured on this machine with every operation defined as {@link Operation} defines it):
 * two passes per cell, in ops/s.
 */
final class Anchors {
    static final String RESOURCE = "/rsplib-3.4.4.csv";

    /** One anchored cell: both passes, ops/s. */
    record Anchor(PolicyType policy, Operation operation, Shape shape, double pass1, double pass2) {
        /** The median of the two passes (their mean). */
        double median() {
            return (pass1 + pass2) / 2;
        }
    }

    private final Map<String, Anchor> byCell = new LinkedHashMap<>();
    private final List<String> provenance = new ArrayList<>();

    private Anchors() {
    }

    static Anchors load() {
        try (InputStream in = Anchors.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path");
            }
            return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    static Anchors parse(BufferedReader reader) throws IOException {
        Anchors a = new Anchors();
        String line;
        boolean header = false;
        int number = 0;
        while ((line = reader.readLine()) != null) {
            number++;
            if (line.startsWith("#")) {
                a.provenance.add(line.substring(1).trim());
                continue;
            }
            if (line.isBlank()) {
                continue;
            }
            if (!header) {
                if (!line.equals("policy,operation,pools,pes,rsplib_kops_pass1,rsplib_kops_pass2")) {
                    throw new IllegalStateException(RESOURCE + ": unexpected header " + line);
                }
                header = true;
                continue;
            }
            String[] f = line.split(",");
            PolicyType policy = f.length == 6 ? PolicyType.fromShortName(f[0]) : null;
            if (policy == null) {
                throw new IllegalStateException(RESOURCE + " line " + number + ": cannot read '" + line + "'");
            }
            Shape shape = new Shape(Integer.parseInt(f[2]), Integer.parseInt(f[3]));
            Anchor anchor = new Anchor(policy, Operation.fromCsvName(f[1]), shape, Double.parseDouble(f[4]) * 1e3,
                    Double.parseDouble(f[5]) * 1e3);
            a.byCell.put(key(policy, anchor.operation(), shape), anchor);
        }
        if (a.byCell.isEmpty()) {
            throw new IllegalStateException(RESOURCE + " holds no figures");
        }
        return a;
    }

    private static String key(PolicyType policy, Operation op, Shape shape) {
        return policy.shortName() + "/" + op.csvName() + "/" + shape;
    }

    /** RSPLIB's figure for a cell, or null if it was not measured. */
    Anchor get(PolicyType policy, Operation op, Shape shape) {
        return byCell.get(key(policy, op, shape));
    }

    /** The shapes RSPLIB was measured at, in the file's order. */
    List<Shape> shapes() {
        List<Shape> shapes = new ArrayList<>();
        for (Anchor a : byCell.values()) {
            if (!shapes.contains(a.shape())) {
                shapes.add(a.shape());
            }
        }
        return shapes;
    }

    /** The file's comment lines: where the figures come from. */
    List<String> provenance() {
        return provenance;
    }
}
