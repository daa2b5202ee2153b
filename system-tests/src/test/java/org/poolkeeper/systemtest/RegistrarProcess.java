package org.poolkeeper.systemtest;

import java.io.IOException;
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
    private static final Pattern LISTENING = Pattern.compile("asap=(\\S+):(\\d+)");

    private final Programs.Child child;
    private final RegistrarAddress asap;

    private RegistrarProcess(Programs.Child child, RegistrarAddress asap) {
        this.child = child;
        this.asap = asap;
    }

    /** Starts a registrar and waits until it accepts clients. */
    static RegistrarProcess start(int registrarId, String... settings) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Programs.launcher("registrar").toString(),
                "--host", "127.0.0.1", "--asap-port", "0", "--cluster-port", "0",
                "--registrar-id", Integer.toString(registrarId)));
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
                        return new RegistrarProcess(child, new RegistrarAddress(m.group(1), Integer.parseInt(m.group(2))));
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

    RegistrarAddress asap() {
        return asap;
    }

    String registrars() {
        return asap.toString();
    }

    /** SIGKILL: the process dies without any chance to clean up. */
    void kill() throws InterruptedException {
        child.process.destroyForcibly();
        child.process.waitFor();
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
    }
}
