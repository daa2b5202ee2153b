package org.poolkeeper.tools.hostile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The registrar JVM under attack: {@code deploy/bin/registrar} on 127.0.0.1 with free ports and default settings but
 * {@link #LISTING} (JAVA_OPTS {@code -Xmx256m -XX:+UseSerialGC}, plus the status file and any extra options). Its
 * stdout and stderr (the log) go to files in the run's directory; a start after a death gets new files.
 */
final class Registrar implements AutoCloseable {
    /**
     * The one setting that is not the default: MaxHResItems 128 (its cap) instead of 3, so that one resolution lists
     * every PE of a pool and the checks can see each one. It limits nothing the attacks aim at.
     */
    static final String LISTING = "-Dpoolkeeper.registrar.max-hres-items=128";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LISTENING = Pattern.compile("asap=(\\S+):(\\d+)");
    private static final Pattern LOG_LEVEL = Pattern.compile(
            "^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} (WARN|ERROR)\\s");

    private final Path root;
    private final Path out;
    private final int registrarId;
    private final String extraOpts;
    private final Consumer<String> say;
    private final List<Path> logs = new ArrayList<>();
    private volatile Process process;
    private InetSocketAddress asap;
    private Path statusFile;
    private int starts;

    Registrar(Path root, Path out, int registrarId, String extraOpts, Consumer<String> say) {
        this.root = root;
        this.out = out;
        this.registrarId = registrarId;
        this.extraOpts = extraOpts;
        this.say = say;
    }

    /** Starts it and waits (90 s at most) until it prints its client address. */
    synchronized void start() throws IOException, InterruptedException {
        starts++;
        statusFile = out.resolve("registrar-" + starts + ".json");
        Path stdout = out.resolve("registrar-" + starts + ".out");
        Path log = out.resolve("registrar-" + starts + ".log");
        logs.add(log);
        Files.deleteIfExists(statusFile);
        ProcessBuilder b = new ProcessBuilder(root.resolve("deploy/bin/registrar").toString(), "--host", "127.0.0.1",
                "--asap-port", "0", "--cluster-port", "0", "--registrar-id", Integer.toString(registrarId))
                .redirectOutput(stdout.toFile()).redirectError(log.toFile());
        b.environment().put("JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -Dpoolkeeper.registrar.status-file="
                + statusFile + " " + LISTING + (extraOpts.isBlank() ? "" : " " + extraOpts));
        process = b.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(stdout, StandardCharsets.ISO_8859_1)) {
                Matcher m = LISTENING.matcher(line);
                if (line.contains("listening") && m.find()) {
                    asap = new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
                    say.accept(String.format("registrar (pid %d) listening on %s:%d, log %s", process.pid(),
                            m.group(1), asap.getPort(), log));
                    return;
                }
            }
            if (!process.isAlive()) {
                throw new IOException("the registrar exited with " + process.exitValue() + " at its start: "
                        + logTail(10));
            }
            Thread.sleep(100);
        }
        throw new IOException("the registrar did not print its address within 90 s; see " + log);
    }

    InetSocketAddress asap() {
        return asap;
    }

    boolean alive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    int exitValue() {
        return process.exitValue();
    }

    int starts() {
        return starts;
    }

    /** The last {@code n} lines of the current log, joined by " | ". */
    String logTail(int n) {
        try {
            List<String> lines = Files.readAllLines(logs.get(logs.size() - 1), StandardCharsets.ISO_8859_1);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException | IndexOutOfBoundsException e) {
            return "(no log: " + e + ")";
        }
    }

    /** The last status file, or an empty object while there is none. */
    JsonNode status() {
        try {
            return JSON.readTree(statusFile.toFile());
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    /** Waits (30 s at most) until the status file says ready. */
    boolean awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && alive()) {
            if (status().path("ready").asBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** The PEs the node holds, from a status file written after this call (3 s at most), or -1. */
    /**
     * Waits up to 30 s until the registrar holds no more PEs than {@code before} (what a flood or fuzz registered
     * is removed once its connections are gone), and returns how many it holds then.
     */
    int awaitElementsAtMost(int before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int elements = elements();
        while (elements > before && System.nanoTime() < deadline && alive()) {
            Thread.sleep(250);
            elements = elements();
        }
        return elements;
    }

    int elements() throws InterruptedException {
        long after = System.currentTimeMillis();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < deadline && alive()) {
            JsonNode s = status();
            if (s.path("written_at_ms").asLong() > after) {
                return s.path("elements").asInt(-1);
            }
            Thread.sleep(50);
        }
        return -1;
    }

    /**
     * The heap after a full collection: asks the JVM for one ({@code jcmd PID GC.run}; without it, the old
     * generation's figure would be whatever the last full collection, perhaps in the middle of a flood, left),
     * then waits (10 s at most) for a status file written after it and returns its {@code heap_after_gc_bytes}, or
     * -1.
     */
    long heapAfterFullGc() throws InterruptedException {
        try {
            Process jcmd = new ProcessBuilder("jcmd", Long.toString(process.pid()), "GC.run")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!jcmd.waitFor(30, TimeUnit.SECONDS)) {
                jcmd.destroyForcibly();
            }
        } catch (IOException e) {
            say.accept("jcmd GC.run failed (" + e.getMessage() + "): the heap figure is the last collection's");
        }
        long after = System.currentTimeMillis();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && alive()) {
            JsonNode s = status();
            if (s.path("written_at_ms").asLong() > after) {
                return s.path("heap_after_gc_bytes").asLong(-1);
            }
            Thread.sleep(100);
        }
        return -1;
    }

    /** What the logs of every start say. */
    record LogScan(int warnings, int errors, int outOfMemory, int actorFailures, int stackFrames,
                   List<String> firstErrors) {
    }

    /**
     * Counts WARN and ERROR lines, lines naming OutOfMemoryError, supervisor failures (Pekko Typed logs "Supervisor
     * … saw failure" when an actor threw; with the default supervision the actor is stopped) and stack frames.
     */
    LogScan scanLog() throws IOException {
        int warnings = 0;
        int errors = 0;
        int oom = 0;
        int failures = 0;
        int frames = 0;
        List<String> first = new ArrayList<>();
        List<Path> all = new ArrayList<>(logs);
        for (int i = 1; i <= starts; i++) {
            all.add(out.resolve("registrar-" + i + ".out"));
        }
        for (Path p : all) {
            if (!Files.exists(p)) {
                continue;
            }
            for (String line : Files.readAllLines(p, StandardCharsets.ISO_8859_1)) {
                Matcher m = LOG_LEVEL.matcher(line);
                if (m.find()) {
                    if (m.group(1).equals("WARN")) {
                        warnings++;
                    } else {
                        errors++;
                        if (first.size() < 5) {
                            first.add(line.length() > 300 ? line.substring(0, 300) + " …" : line);
                        }
                    }
                }
                if (line.contains("OutOfMemoryError")) {
                    oom++;
                }
                if (line.contains(" saw failure")) {
                    failures++;
                }
                if (line.startsWith("\tat ")) {
                    frames++;
                }
            }
        }
        return new LogScan(warnings, errors, oom, failures, frames, first);
    }

    /** SIGKILL (nothing of a registrar under attack needs a graceful stop), then waits 10 s at most. */
    @Override
    public void close() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
