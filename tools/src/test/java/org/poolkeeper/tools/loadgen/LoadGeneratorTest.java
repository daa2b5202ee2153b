package org.poolkeeper.tools.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.poolkeeper.protocol.FrameDecoder;
import org.poolkeeper.protocol.FrameEncoder;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.DeregistrationResponse;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleResolutionResponse;
import org.poolkeeper.protocol.wire.RegistrationResponse;

/**
 * The load client against a registrar stand-in on a real socket: it records latencies far beyond the old histogram
 * range, and it never reports success when requests failed or a connection died.
 */
class LoadGeneratorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Answers each request with what {@code answer} makes of it (null: no answer), after {@code delayMs}. */
    private static final class StandIn implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final List<Socket> sockets = new ArrayList<>();

        StandIn(BiFunction<AsapMessage, Integer, AsapMessage> answer, long delayMs) throws IOException {
            Thread t = new Thread(() -> {
                try {
                    while (true) {
                        Socket s = server.accept();
                        synchronized (sockets) {
                            sockets.add(s);
                        }
                        Thread h = new Thread(() -> serve(s, answer, delayMs));
                        h.setDaemon(true);
                        h.start();
                    }
                } catch (IOException closed) {
                    // the test ended
                }
            });
            t.setDaemon(true);
            t.start();
        }

        private static void serve(Socket s, BiFunction<AsapMessage, Integer, AsapMessage> answer, long delayMs) {
            FrameDecoder decoder = new FrameDecoder();
            FrameEncoder encoder = new FrameEncoder();
            byte[] buffer = new byte[65536];
            int[] count = {0};
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    List<byte[]> frames = new ArrayList<>();
                    decoder.feed(ByteBuffer.wrap(buffer, 0, n), frames::add);
                    for (byte[] frame : frames) {
                        AsapMessage reply = answer.apply(AsapMessage.parseFrom(frame), ++count[0]);
                        if (reply == null) {
                            continue;
                        }
                        if (delayMs > 0) {
                            Thread.sleep(delayMs);
                        }
                        synchronized (out) {
                            out.write(encoder.encode(reply));
                            out.flush();
                        }
                    }
                }
            } catch (IOException | InterruptedException e) {
                // closed
            }
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (sockets) {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    private static AsapMessage answer(AsapMessage m, ErrorCause cause) {
        if (m.hasRegistration()) {
            return AsapMessage.newBuilder().setRegistrationResponse(RegistrationResponse.newBuilder()
                    .setRequestId(m.getRegistration().getRequestId()).setCause(cause)).build();
        }
        if (m.hasDeregistration()) {
            return AsapMessage.newBuilder().setDeregistrationResponse(DeregistrationResponse.newBuilder()
                    .setRequestId(m.getDeregistration().getRequestId()).setCause(cause)).build();
        }
        if (m.hasHandleResolution()) {
            return AsapMessage.newBuilder().setHandleResolutionResponse(HandleResolutionResponse.newBuilder()
                    .setRequestId(m.getHandleResolution().getRequestId()).setCause(cause)).build();
        }
        return null;
    }

    private record Run(int exit, String stdout, String stderr) {
        JsonNode summary() throws IOException {
            String[] lines = stdout.strip().split("\n");
            return JSON.readTree(lines[lines.length - 1]);
        }
    }

    private static Run loadgen(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int exit = LoadGenerator.run(args);
            return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void aLatencyOfSecondsIsRecordedAndTheRunSucceeds() throws Exception {
        // the old fixed-range histogram threw on values above about 4.3 s, killing the reader thread silently
        try (StandIn registrar = new StandIn((m, n) -> answer(m, ErrorCause.ERROR_CAUSE_OK), 4_600)) {
            Run run = loadgen("--port", "" + registrar.port(), "--mode", "resolve", "--no-setup", "-c", "1", "-k", "1",
                    "--warmup", "0", "--duration", "6");
            assertEquals(0, run.exit(), run.stderr());
            JsonNode s = run.summary();
            assertTrue(s.get("latency_us").get("max").asLong() >= 4_600_000, s.toString());
            assertEquals(0, s.get("internal_errors").asLong(), s.toString());
            assertTrue(s.get("completed").asLong() >= 1, s.toString());
        }
    }

    @Test
    void failedRequestsAreCountedByCauseAndMakeTheExitCodeNonZero() throws Exception {
        try (StandIn registrar = new StandIn((m, n) -> answer(m, n % 2 == 0 ? ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE
                : ErrorCause.ERROR_CAUSE_OK), 0)) {
            Run run = loadgen("--port", "" + registrar.port(), "--mode", "resolve", "--no-setup", "-c", "2", "-k", "8",
                    "--warmup", "0", "--duration", "1");
            assertEquals(1, run.exit(), run.stdout());
            JsonNode s = run.summary();
            assertTrue(s.get("failed").asLong() > 0, s.toString());
            assertTrue(s.get("failures").get("ERROR_CAUSE_UNKNOWN_POOL_HANDLE").asLong() > 0, s.toString());
        }
    }

    @Test
    void aConnectionTheRegistrarClosesIsAnInternalErrorAndMakesTheExitCodeNonZero() throws Exception {
        try (StandIn registrar = new StandIn((m, n) -> n > 20 ? null : answer(m, ErrorCause.ERROR_CAUSE_OK), 0)) {
            Thread closer = new Thread(() -> {
                try {
                    Thread.sleep(500);
                    synchronized (registrar.sockets) {
                        for (Socket s : registrar.sockets) {
                            s.close();
                        }
                    }
                } catch (InterruptedException | IOException e) {
                    // the test ends
                }
            });
            closer.start();
            Run run = loadgen("--port", "" + registrar.port(), "--mode", "resolve", "--no-setup", "-c", "1", "-k", "4",
                    "--warmup", "0", "--duration", "1");
            closer.join();
            assertEquals(1, run.exit(), run.stdout());
            assertTrue(run.stderr().contains("closed by"), run.stderr());
            assertTrue(run.summary().get("internal_errors").asLong() >= 1, run.stdout());
        }
    }

    @Test
    void aChurnRunDeregistersEveryPeItRegistered() throws Exception {
        // stopping between a churn registration and its deregistration left a PE behind in the registrar
        Set<String> held = ConcurrentHashMap.newKeySet();
        try (StandIn registrar = new StandIn((m, n) -> {
            if (m.hasRegistration()) {
                held.add(m.getRegistration().getPoolHandle().toStringUtf8() + "/" + m.getRegistration().getPeId());
            } else if (m.hasDeregistration()) {
                held.remove(m.getDeregistration().getPoolHandle().toStringUtf8() + "/"
                        + m.getDeregistration().getPeId());
            }
            return answer(m, ErrorCause.ERROR_CAUSE_OK);
        }, 1)) {
            Run run = loadgen("--port", "" + registrar.port(), "--mode", "churn", "--no-setup", "--pools", "3",
                    "-c", "4", "-k", "3", "--warmup", "0", "--duration", "1");
            assertEquals(0, run.exit(), run.stderr());
            assertTrue(run.summary().get("completed").asLong() > 0, run.stdout());
            assertEquals(Set.of(), held, "PEs the churn run left registered");
        }
    }

    @Test
    void badArgumentsGiveOneLineAndExitTwo() {
        Run run = loadgen("--port", "1", "--mode", "sideways");
        assertEquals(2, run.exit());
        assertEquals(1, run.stderr().strip().lines().count(), run.stderr());
        assertTrue(run.stderr().startsWith("loadgen: --mode must be"), run.stderr());
    }
}
