package org.poolkeeper.bench;

/** Parses and prints durations such as 200ms, 1.5s, 500us. */
final class Durations {
    private Durations() {
    }

    static long parse(String text) {
        String t = text.trim().toLowerCase();
        double factor;
        String number;
        if (t.endsWith("ms")) {
            factor = 1e6;
            number = t.substring(0, t.length() - 2);
        } else if (t.endsWith("us")) {
            factor = 1e3;
            number = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            factor = 1e9;
            number = t.substring(0, t.length() - 1);
        } else {
            throw new IllegalArgumentException("a duration needs a unit (ms, s, us): " + text);
        }
        long ns = Math.round(Double.parseDouble(number) * factor);
        if (ns < 100_000) {
            throw new IllegalArgumentException("a window must be at least 0.1 ms: " + text);
        }
        return ns;
    }

    static String format(long ns) {
        if (ns < 1_000_000_000L) {
            return ns / 1_000_000 + " ms";
        }
        long s = ns / 1_000_000_000L;
        return s < 60 ? String.format("%.1f s", ns / 1e9) : String.format("%d:%02d min", s / 60, s % 60);
    }
}
