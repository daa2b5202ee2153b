package org.poolkeeper.tools.hostile;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.ErrorCause;

/**
 * Phase {@code fuzz}: {@code frames} frames from {@link FrameMutator} over many connections (a new one every {@code
 * perConnection} frames, after a frame with a wrong length prefix, or when the registrar closes one; each ends with
 * a half-close and waits for the registrar to end it, so that the frames counted are frames it read), from {@code
 * workers} threads, while a legitimate owner
 * keeps its PEs registered. Every 3 s a legitimate connection checks that all of them are listed as registered; a
 * progress line every 5 s. At the end fresh connections (from 127.0.0.1 and from an attacker address) must still
 * work: announcement, registration, resolution listing it, deregistration; and the PEs the fuzz registered through
 * its closed connections must be gone within 30 s.
 */
final class FuzzPhase {
    private final Context ctx;
    private final long frames;
    private final int perConnection;
    private final int workers;
    /** How long the registrar took to end a connection after its half-close, in ms. */
    private final Histogram endWaits = new Histogram(60_000, 2);

    FuzzPhase(Context ctx, long frames, int perConnection, int workers) {
        this.ctx = ctx;
        this.frames = frames;
        this.perConnection = perConnection;
        this.workers = workers;
    }

    void run(PhaseResult r) throws Exception {
        AtomicLong sent = new AtomicLong();
        AtomicLong connections = new AtomicLong();
        AtomicLong closedByRegistrar = new AtomicLong();
        AtomicLong failedConnects = new AtomicLong();
        AtomicLong unfinished = new AtomicLong();
        AtomicLong desynchronized = new AtomicLong();
        long[][] counts = new long[workers][];
        try (Owner owner = Owner.open(ctx); FrameConnection checker = ctx.legit()) {
            owner.register(ctx, "legit-fuzz-owner", 0x5001, 10, 32);
            int elementsBefore = ctx.registrar.elements();
            long start = System.nanoTime();
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int index = w;
                SplittableRandom random = ctx.random.split();
                Thread t = new Thread(() -> {
                    FrameMutator mutator = new FrameMutator(random);
                    long quota = frames / workers + (index < frames % workers ? 1 : 0);
                    long done = 0;
                    int c = index;
                    while (done < quota && !Thread.currentThread().isInterrupted()) {
                        try {
                            done += connection(c, mutator, Math.min(perConnection, quota - done), sent,
                                    closedByRegistrar, desynchronized, unfinished);
                            connections.incrementAndGet();
                        } catch (IOException e) {
                            failedConnects.incrementAndGet();
                            try {
                                Thread.sleep(10);
                            } catch (InterruptedException ie) {
                                break;
                            }
                        }
                        c += workers;
                    }
                    counts[index] = mutator.counts();
                }, "hostile-fuzz-" + w);
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
            long checks = 0;
            List<String> wrongChecks = new ArrayList<>();
            long nextProgress = start + TimeUnit.SECONDS.toNanos(5);
            while (threads.stream().anyMatch(Thread::isAlive)) {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                while (System.nanoTime() < until && threads.stream().anyMatch(Thread::isAlive)) {
                    Thread.sleep(100);
                }
                if (!ctx.registrar.alive()) {
                    threads.forEach(Thread::interrupt);
                    r.fail("the registrar died during the fuzz after %,d frames", sent.get());
                    return;
                }
                checks++;
                try {
                    List<String> wrong = owner.wrong(checker);
                    if (!wrong.isEmpty()) {
                        wrongChecks.add(String.format(Locale.ROOT, "after %,d frames: %s", sent.get(),
                                Owner.firstOf(wrong, 3)));
                    }
                } catch (IOException e) {
                    wrongChecks.add("after " + sent.get() + " frames the check connection failed: " + e.getMessage());
                }
                if (System.nanoTime() >= nextProgress) {
                    nextProgress += TimeUnit.SECONDS.toNanos(5);
                    double s = (System.nanoTime() - start) / 1e9;
                    ctx.say("fuzz: %,d of %,d frames (%,.0f/s), %,d connections, %,d closed by the registrar",
                            sent.get(), frames, sent.get() / s, connections.get(), closedByRegistrar.get());
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            r.figure("frames", sent.get());
            r.figure("frames_per_s", sent.get() / seconds);
            r.figure("connections", connections.get());
            r.figure("ended_after_wrong_prefix", desynchronized.get());
            r.figure("closed_early_by_registrar", closedByRegistrar.get());
            r.figure("failed_connects", failedConnects.get());
            r.figure("not_ended_in_10s", unfinished.get());
            r.figure("end_wait_ms_p50_p99_max", endWaits.getValueAtPercentile(50) + "/"
                    + endWaits.getValueAtPercentile(99) + "/" + endWaits.getMaxValue());
            r.figure("legit_checks", (checks - wrongChecks.size()) + "/" + checks);
            StringBuilder mix = new StringBuilder();
            for (FrameMutator.Mutation m : FrameMutator.Mutation.values()) {
                long n = 0;
                for (long[] c : counts) {
                    n += c == null ? 0 : c[m.ordinal()];
                }
                mix.append(mix.length() == 0 ? "" : " ").append(m.name().toLowerCase(Locale.ROOT))
                        .append('=').append(n);
            }
            r.detail("mutations", mix.toString());
            r.check(wrongChecks.isEmpty(), "the legitimate owner's PEs were not all listed in %d of %d checks: %s",
                    wrongChecks.size(), checks, Owner.firstOf(wrongChecks, 2));
            r.check(failedConnects.get() == 0, "%,d fuzz connections could not be opened", failedConnects.get());
            r.check(owner.connection.open(), "the registrar closed the legitimate owner's connection (%s)",
                    owner.connection.closeReason());
            freshConnection(r, "127.0.0.1", ctx::legit);
            freshConnection(r, ctx.attacker(0).getHostAddress(), () -> ctx.attacker(0, true));
            int elements = ctx.registrar.awaitElementsAtMost(elementsBefore);
            r.figure("elements_before_after", elementsBefore + "/" + elements);
            r.check(elements <= elementsBefore, "30 s after the fuzz the registrar holds %d PEs, %d before it",
                    elements, elementsBefore);
        }
    }

    /**
     * One fuzz connection: up to {@code n} frames, then a half-close, and a wait (10 s at most) for the registrar to
     * end the connection: only then has it read every frame (closing with its answers unread would reset the
     * connection, and the registrar would drop what it had not read yet). A frame with a wrong length prefix is the
     * connection's last. Returns how many frames were written before the registrar ended the connection.
     */
    private long connection(int c, FrameMutator mutator, long n, AtomicLong sent, AtomicLong closedByRegistrar,
                            AtomicLong desynchronized, AtomicLong unfinished) throws IOException {
        Socket socket = new Socket();
        try {
            socket.bind(new InetSocketAddress(ctx.attacker(c), 0));
            socket.connect(ctx.asap(), 5_000);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        CountDownLatch ended = drain(socket.getInputStream());
        long written = 0;
        try (socket) {
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 65536);
            long unflushed = 0;
            for (long i = 0; i < n && ended.getCount() > 0; i++) {
                out.write(mutator.next());
                if (mutator.desynchronized()) {
                    desynchronized.incrementAndGet(); // the rest of this connection would be noise: a new one
                    unflushed++;
                    break;
                }
                if (++unflushed == 64) {
                    out.flush();
                    written += unflushed;
                    unflushed = 0;
                }
            }
            out.flush();
            written += unflushed;
            if (ended.getCount() == 0) {
                closedByRegistrar.incrementAndGet();
            } else {
                socket.shutdownOutput();
                long waitStart = System.nanoTime();
                if (!ended.await(10, TimeUnit.SECONDS)) {
                    unfinished.incrementAndGet();
                }
                long waited = (System.nanoTime() - waitStart) / 1_000_000;
                synchronized (endWaits) {
                    endWaits.recordValue(Math.min(waited, 60_000));
                }
            }
        } catch (IOException e) {
            closedByRegistrar.incrementAndGet(); // reset or broken pipe: the registrar closed it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sent.addAndGet(written);
        return Math.max(written, 1); // a connection closed at once still counts towards the quota
    }

    /** Reads and drops what the registrar answers; the latch opens at the end of the stream. */
    private static CountDownLatch drain(InputStream in) {
        CountDownLatch ended = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[65536];
            try {
                while (in.read(buffer) >= 0) {
                    // dropped
                }
            } catch (IOException e) {
                // reset, or closed here
            }
            ended.countDown();
        }, "hostile-fuzz-drain");
        t.setDaemon(true);
        t.start();
        return ended;
    }

    private interface Opener {
        FrameConnection open() throws IOException;
    }

    /** A new connection registers, resolves and deregisters a PE. */
    private void freshConnection(PhaseResult r, String from, Opener opener) {
        String what;
        try (FrameConnection c = opener.open()) {
            Owner.Pe pe = new Owner.Pe(Messages.handle("fuzz-after"), 0x5100, Messages.addresses(
                    Messages.address(11, 0, 0, 1100)), ctx.secret(32));
            long id = Messages.nextId();
            c.send(Messages.registration(id, pe.pool(), pe.peId(), pe.addresses(), Messages.LIFE_MS, pe.secret()));
            AsapMessage reg = c.await(id, 10_000);
            boolean listed = Messages.sameAddresses(Messages.listed(Owner.resolve(c, pe.pool())).get(pe.peId()),
                    pe.addresses());
            id = Messages.nextId();
            c.send(Messages.deregistration(id, pe.pool(), pe.peId(), pe.secret()));
            AsapMessage dereg = c.await(id, 10_000);
            boolean ok = Messages.is(reg, ErrorCause.ERROR_CAUSE_OK) && listed
                    && Messages.is(dereg, ErrorCause.ERROR_CAUSE_OK);
            what = ok ? "ok" : "registration " + Messages.describe(reg) + ", " + (listed ? "listed" : "not listed")
                    + ", deregistration " + Messages.describe(dereg);
        } catch (IOException e) {
            what = "failed: " + e.getMessage();
        }
        r.figure("fresh_from_" + from, what);
        r.check(what.equals("ok"), "a fresh connection from %s after the fuzz: %s", from, what);
    }
}
