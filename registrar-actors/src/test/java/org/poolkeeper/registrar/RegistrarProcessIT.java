package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.poolkeeper.protocol.wire.ErrorCause;

/**
 * The packaged registrar started as a separate JVM through {@code deploy/bin/registrar} (runs in the
 * integration-test phase, after package): it binds free ports, answers a real client, and exits 0 on SIGTERM.
 * Child processes are killed even when a test fails.
 */
class RegistrarProcessIT {
    private static final Pattern LISTENING = Pattern.compile(
            "poolkeeper registrar 0x([0-9a-f]{8}) listening asap=([^:\\s]+):(\\d+) cluster=([^:\\s]+):(\\d+)");

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killChildren() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private static Path launcher() {
        Path root = Path.of(System.getProperty("poolkeeper.root", "..")).toAbsolutePath().normalize();
        Path script = root.resolve("deploy/bin/registrar");
        assertTrue(Files.isExecutable(script), script + " is missing or not executable");
        return script;
    }

    private Process launch(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("bash", launcher().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("JAVA_OPTS", "-Xmx256m -XX:TieredStopAtLevel=1");
        builder.redirectErrorStream(true);
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    /** Collects the process's output lines on a daemon thread. */
    private static BlockingQueue<String> lines(Process process) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "registrar-output");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    @Test
    void aRegistrarStartedThroughTheLauncherAnswersAClientAndExitsZeroOnSigterm() throws Exception {
        Process registrar = launch("--asap-port", "0", "--cluster-port", "0", "--registrar-id", "0x0000abcd");
        BlockingQueue<String> output = lines(registrar);
        List<String> seen = new ArrayList<>();
        Matcher listening = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (listening == null && System.nanoTime() < deadline) {
            String line = output.poll(1, TimeUnit.SECONDS);
            if (line != null) {
                seen.add(line);
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    listening = m;
                }
            }
            assertTrue(registrar.isAlive() || !output.isEmpty(), "the registrar died: " + seen);
        }
        assertTrue(listening != null, "no 'listening' line within 60 s: " + seen);
        assertEquals("0000abcd", listening.group(1));
        assertNotEquals("0", listening.group(3));

        InetSocketAddress asap = new InetSocketAddress(listening.group(2), Integer.parseInt(listening.group(3)));
        try (TestClient client = TestClient.connect(asap)) {
            assertEquals(ErrorCause.ERROR_CAUSE_OK,
                    client.register("process", 1, 7001, TestClient.RR, 0, 60_000).getCause());
            assertEquals(List.of(1), client.resolvedIds("process", null));
            assertEquals(0xabcd, client.resolve("process", null).getElements(0).getHomeRegistrarId());
        }

        registrar.destroy(); // SIGTERM
        assertTrue(registrar.waitFor(30, TimeUnit.SECONDS), "no exit within 30 s of SIGTERM");
        assertEquals(0, registrar.exitValue(), "exit status after SIGTERM; output: " + drain(output, seen));
    }

    @Test
    void helpPrintsUsageAndExitsZero() throws Exception {
        Process help = launch("--help");
        BlockingQueue<String> output = lines(help);
        assertTrue(help.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, help.exitValue());
        String text = String.join("\n", drain(output, new ArrayList<>()));
        for (String option : List.of("--host", "--asap-port", "--cluster-port", "--seed", "--registrar-id",
                "--config", "--help")) {
            assertTrue(text.contains(option), "usage mentions " + option + ":\n" + text);
        }
    }

    @Test
    void aBadArgumentPrintsOneLineAndExitsNonZero() throws Exception {
        Process bad = launch("--asap-port", "not-a-port");
        BlockingQueue<String> output = lines(bad);
        assertTrue(bad.waitFor(30, TimeUnit.SECONDS));
        assertNotEquals(0, bad.exitValue());
        List<String> text = drain(output, new ArrayList<>());
        assertEquals(1, text.size(), "one line: " + text);
        assertTrue(text.get(0).startsWith("registrar: "), text.get(0));

        Process badId = launch("--registrar-id", "0x1ffffffff");
        BlockingQueue<String> idOutput = lines(badId);
        assertTrue(badId.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, badId.exitValue());
        List<String> idText = drain(idOutput, new ArrayList<>());
        assertEquals(1, idText.size(), "one line: " + idText);
    }

    private static List<String> drain(BlockingQueue<String> output, List<String> into) throws InterruptedException {
        Thread.sleep(200); // let the reader thread catch the last lines
        output.drainTo(into);
        return into;
    }
}
