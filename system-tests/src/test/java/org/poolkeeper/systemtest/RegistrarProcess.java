package org.poolkeeper.systemtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.poolkeeper.client.RegistrarAddress;

/**
 * A registrar started as its own JVM through {@code deploy/bin/registrar} on free loopback ports. Settings
 * are passed as {@code -D} overrides in JAVA_OPTS.
 */
final class RegistrarProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LISTENING = Pattern.compile("asap=(\\S+):(\\d+)");
    private static final Pattern CLUSTER = Pattern.compile("cluster=(\\S+:\\d+)");
    private static final Pattern HTTP = Pattern.compile("http=(\\S+:\\d+)");

    private final Programs.Child child;
    private final RegistrarAddress asap;
    private final int registrarId;
    private String cluster = "";
    private String http = "";
    private Path statusFile;

    private RegistrarProcess(Programs.Child child, RegistrarAddress asap, int registrarId) {
        this.child = child;
        this.asap = asap;
        this.registrarId = registrarId;
    }

    /** Starts a registrar and waits until it accepts clients. */
    static RegistrarProcess start(int registrarId, String... settings) throws IOException, InterruptedException {
        return start(registrarId, List.of(), settings);
    }

    /**
     * Starts a registrar that joins the cluster of {@code seeds} (cluster addresses "host:port"; none: a cluster
     * of its own) and writes its status file (see {@link #status()}), and waits until it accepts clients.
     */
    static RegistrarProcess start(int registrarId, List<String> seeds, String... settings)
            throws IOException, InterruptedException {
        Path status = Files.createTempFile("registrar-" + Integer.toHexString(registrarId) + "-", ".json");
        Files.delete(status);
        List<String> all = new ArrayList<>(List.of(settings));
        all.add("poolkeeper.registrar.status-file=" + status);
        RegistrarProcess p = start(registrarId, seeds, all);
        p.statusFile = status;
        return p;
    }

    /** Starts a registrar with {@code --config file} (and a status file), and waits until it accepts clients. */
    static RegistrarProcess startWithConfig(int registrarId, Path file) throws IOException, InterruptedException {
        Path status = Files.createTempFile("registrar-" + Integer.toHexString(registrarId) + "-", ".json");
        Files.delete(status);
        RegistrarProcess p = start(registrarId, List.of(), List.of("poolkeeper.registrar.status-file=" + status),
                List.of("--config", file.toString()));
        p.statusFile = status;
        return p;
    }

    private static RegistrarProcess start(int registrarId, List<String> seeds, List<String> settings)
            throws IOException, InterruptedException {
        return start(registrarId, seeds, settings, List.of());
    }

    private static RegistrarProcess start(int registrarId, List<String> seeds, List<String> settings,
                                          List<String> arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Programs.launcher("registrar").toString(),
                "--host", "127.0.0.1", "--asap-port", "0", "--cluster-port", "0",
                "--registrar-id", Integer.toString(registrarId)));
        command.addAll(arguments);
        for (String seed : seeds) {
            command.add("--seed");
            command.add(seed);
        }
        StringBuilder javaOpts = new StringBuilder("-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        for (String setting : settings) {
            javaOpts.append(" -D").append(setting);
        }
        Programs.Child child = new Programs.Child(command, javaOpts.toString());
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            synchronized (child.stdout) {
                for (String line : child.stdout) {
                    Matcher m = LISTENING.matcher(line);
                    if (line.contains("listening") && m.find()) {
                        RegistrarProcess p = new RegistrarProcess(child,
                                new RegistrarAddress(m.group(1), Integer.parseInt(m.group(2))), registrarId);
                        Matcher c = CLUSTER.matcher(line);
                        if (c.find()) {
                            p.cluster = c.group(1);
                        }
                        Matcher h = HTTP.matcher(line);
                        if (h.find()) {
                            p.http = h.group(1);
                        }
                        return p;
                    }
                }
            }
            if (!child.process.isAlive()) {
                throw new AssertionError("registrar exited with " + child.process.exitValue() + ": " + child.stderr
                        + child.stdout);
            }
            Thread.sleep(50);
        }
        child.close();
        throw new AssertionError("registrar did not report its address within 60 s: " + child.stdout + child.stderr);
    }

    int registrarId() {
        return registrarId;
    }

    RegistrarAddress asap() {
        return asap;
    }

    /** The HTTP endpoint (metrics, health), "host:port", or "" when it has none. */
    String http() {
        return http;
    }

    /** The cluster (Artery) address, "host:port", to give other nodes as a seed. */
    String cluster() {
        return cluster;
    }

    /** The node's last status (its status file as a JSON tree), or null before the first one. */
    JsonNode status() {
        try {
            return statusFile == null || !Files.exists(statusFile) ? null : JSON.readTree(statusFile.toFile());
        } catch (IOException e) {
            return null; // being replaced: next time
        }
    }

    /** Asks the node to drop one replicated PE from its replica (needs poolkeeper.registrar.test-hooks=on). */
    void corruptReplica() throws IOException {
        Files.writeString(Path.of(statusFile + ".corrupt"), "corrupt");
    }

    String registrars() {
        return asap.toString();
    }

    /** SIGKILL: the process dies without any chance to clean up. */
    void kill() throws InterruptedException {
        child.process.destroyForcibly();
        child.process.waitFor();
    }

    /** SIGSTOP ({@code stop = true}) or SIGCONT: the process pauses or resumes, as under a long GC or a VM freeze. */
    void signal(boolean stop) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", stop ? "-STOP" : "-CONT", Long.toString(child.process.pid()))
                .redirectErrorStream(true).start();
        if (p.waitFor() != 0) {
            throw new IOException("kill " + (stop ? "-STOP" : "-CONT") + " failed: "
                    + new String(p.getInputStream().readAllBytes()));
        }
    }

    /** Waits at most {@code seconds} for the process to exit by itself; its exit code. */
    int awaitExit(long seconds) throws InterruptedException {
        return child.waitFor(seconds);
    }

    String stderr() {
        synchronized (child.stderr) {
            return String.join("\n", child.stderr);
        }
    }

    /** SIGTERM, then the exit code. */
    int terminate() throws InterruptedException {
        child.process.destroy();
        return child.waitFor(30);
    }

    List<String> output() {
        List<String> all = new ArrayList<>(child.stdout);
        all.addAll(child.stderr);
        return all;
    }

    @Override
    public void close() {
        child.close();
        if (statusFile != null) {
            try {
                Files.deleteIfExists(statusFile);
            } catch (IOException e) {
                // a temporary file
            }
        }
    }
}
