package org.poolkeeper.tools.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Where the three registrars of a fault run live. {@link Loopback}: 127.0.0.1 with free ports (no partition).
 * {@link Namespaces}: registrar i in network namespace {@code pk<tag>-<i>} at 10.231.0.i, joined by veth pairs to
 * a bridge in the host namespace (10.231.0.254, where the clients run); a partition is a pair of blackhole routes
 * between the two sides, so the cluster traffic across stops while every client still reaches every registrar.
 */
abstract class Network implements AutoCloseable {

    abstract String host(int index);

    abstract int port(int index, int which) throws IOException;

    /** The command prefix that runs a process where registrar {@code index} lives. */
    abstract List<String> prefix(int index);

    abstract boolean canPartition();

    abstract String why();

    abstract String describe();

    /** Cuts (or heals) the cluster traffic between registrar {@code index} and the other two. */
    abstract void partition(int index, boolean cut) throws IOException, InterruptedException;

    @Override
    public abstract void close();

    interface Say {
        void say(String format, Object... args);
    }

    static Network choose(String mode, boolean wantPartition, Say say) {
        String m = mode.toLowerCase(Locale.ROOT);
        if (m.equals("off") || (m.equals("auto") && !wantPartition)) {
            return new Loopback("namespaces not asked for");
        }
        try {
            Namespaces n = Namespaces.create();
            say.say("registrars in network namespaces %s (10.231.0.1-3, bridge %s)", n.names, n.bridge);
            return n;
        } catch (IOException | InterruptedException e) {
            if (m.equals("on")) {
                throw new IllegalStateException("--netns on: cannot make network namespaces: " + e.getMessage());
            }
            return new Loopback("network namespaces are not available here (" + e.getMessage()
                    + "; root and iproute2 are needed)");
        }
    }

    static final class Loopback extends Network {
        private final String why;
        private final int[][] ports = new int[3][2];

        Loopback(String why) {
            this.why = why;
        }

        @Override
        String host(int index) {
            return "127.0.0.1";
        }

        @Override
        synchronized int port(int index, int which) throws IOException {
            if (ports[index][which] == 0) {
                ports[index][which] = ChaosCommand.freePort();
            }
            return ports[index][which];
        }

        @Override
        List<String> prefix(int index) {
            return List.of();
        }

        @Override
        boolean canPartition() {
            return false;
        }

        @Override
        String why() {
            return why;
        }

        @Override
        String describe() {
            return "on loopback";
        }

        @Override
        void partition(int index, boolean cut) {
            throw new UnsupportedOperationException("no partition on loopback");
        }

        @Override
        public void close() {
        }
    }

    static final class Namespaces extends Network {
        final String bridge;
        final List<String> names = new ArrayList<>();
        private boolean closed;

        private Namespaces(String tag) {
            this.bridge = "pkbr" + tag;
            for (int i = 1; i <= 3; i++) {
                names.add("pk" + tag + "-" + i);
            }
        }

        static Namespaces create() throws IOException, InterruptedException {
            String tag = Long.toString(ProcessHandle.current().pid() % 10000);
            Namespaces n = new Namespaces(tag);
            try {
                ip("link", "add", n.bridge, "type", "bridge");
                ip("addr", "add", "10.231.0.254/24", "dev", n.bridge);
                ip("link", "set", n.bridge, "up");
                for (int i = 1; i <= 3; i++) {
                    String ns = n.names.get(i - 1);
                    String host = "pkh" + tag + "-" + i;
                    String inner = "pkn" + tag + "-" + i;
                    ip("netns", "add", ns);
                    ip("link", "add", host, "type", "veth", "peer", "name", inner);
                    ip("link", "set", inner, "netns", ns);
                    ip("link", "set", host, "master", n.bridge);
                    ip("link", "set", host, "up");
                    ip("-n", ns, "addr", "add", "10.231.0." + i + "/24", "dev", inner);
                    ip("-n", ns, "link", "set", inner, "up");
                    ip("-n", ns, "link", "set", "lo", "up");
                }
            } catch (IOException | InterruptedException e) {
                n.close();
                throw e;
            }
            return n;
        }

        @Override
        String host(int index) {
            return "10.231.0." + (index + 1);
        }

        @Override
        int port(int index, int which) {
            return which == 0 ? 3863 : 7355;
        }

        @Override
        List<String> prefix(int index) {
            return List.of("ip", "netns", "exec", names.get(index));
        }

        @Override
        boolean canPartition() {
            return true;
        }

        @Override
        String why() {
            return "";
        }

        @Override
        String describe() {
            return "each registrar in its own network namespace";
        }

        @Override
        void partition(int index, boolean cut) throws IOException, InterruptedException {
            String verb = cut ? "add" : "del";
            for (int other = 0; other < 3; other++) {
                if (other == index) {
                    continue;
                }
                ip("-n", names.get(index), "route", verb, "blackhole", host(other) + "/32");
                ip("-n", names.get(other), "route", verb, "blackhole", host(index) + "/32");
            }
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            for (String ns : names) {
                quietly("netns", "del", ns); // takes its veth ends with it
            }
            quietly("link", "del", bridge);
        }

        private static void quietly(String... args) {
            try {
                ip(args);
            } catch (IOException | InterruptedException e) {
                // not there
            }
        }

        private static void ip(String... args) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>();
            cmd.add("ip");
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": timed out");
            }
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + ": " + output);
            }
        }
    }
}
