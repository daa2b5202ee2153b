package org.poolkeeper.systemtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts the project's launchers (deploy/bin/*) as child processes and collects their output. */
final class Programs {
    private Programs() {
    }

    static Path root() {
        String configured = System.getProperty("poolkeeper.root");
        Path path = configured != null ? Path.of(configured) : Path.of("..").toAbsolutePath().normalize();
        if (!Files.isDirectory(path.resolve("deploy/bin"))) {
            path = Path.of("").toAbsolutePath().getParent();
        }
        return path;
    }

    static Path launcher(String name) {
        return root().resolve("deploy/bin").resolve(name);
    }

    /** One run of a command to its end: its exit status and output. */
    record Run(int status, List<String> stdout, List<String> stderr) {
    }

    /** Runs {@code deploy/bin/<tool> args...} (a small JVM) and waits, at most 60 s, for it to end. */
    static Run run(String tool, List<String> args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(launcher(tool).toString());
        command.addAll(args);
        try (Child child = new Child(command, "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1")) {
            int status = child.waitFor(60);
            child.awaitOutput();
            return new Run(status, List.copyOf(child.stdout), List.copyOf(child.stderr));
        }
    }

    /** A child process whose stdout and stderr lines are collected as they come. */
    static final class Child implements AutoCloseable {
        final Process process;
        final List<String> stdout = Collections.synchronizedList(new ArrayList<>());
        final List<String> stderr = Collections.synchronizedList(new ArrayList<>());
        private final List<Thread> pumps = new ArrayList<>();

        Child(List<String> command, String javaOpts) throws IOException {
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().put("JAVA_OPTS", javaOpts);
            this.process = builder.start();
            pumps.add(pump(new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8)), stdout));
            pumps.add(pump(new BufferedReader(new InputStreamReader(process.getErrorStream(),
                    StandardCharsets.UTF_8)), stderr));
        }

        /** After the process ended: waits (at most 5 s) until all of its output has been collected. */
        void awaitOutput() throws InterruptedException {
            for (Thread t : pumps) {
                t.join(5_000);
            }
        }

        private static Thread pump(BufferedReader reader, List<String> lines) {
            Thread thread = new Thread(() -> {
                try (reader) {
                    String line;
                    while ((line = reader.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, "child-output");
            thread.setDaemon(true);
            thread.start();
            return thread;
        }

        int waitFor(long seconds) throws InterruptedException {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("process did not end within " + seconds + " s; stderr: " + stderr);
            }
            process.waitFor();
            return process.exitValue();
        }

        String lastStdoutLine() throws InterruptedException {
            for (int i = 0; i < 50 && stdout.isEmpty(); i++) {
                Thread.sleep(20); // the pump may lag the exit by a moment
            }
            synchronized (stdout) {
                return stdout.isEmpty() ? "" : stdout.get(stdout.size() - 1);
            }
        }

        @Override
        public void close() {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
