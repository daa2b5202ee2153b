package org.poolkeeper.tools.hostile;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.PoolElementEntry;

/**
 * Phase {@code ownerless}: a registration whose connection is gone leaves no PE behind, and a PE handed over to a new
 * connection of its owner stays.
 *
 * <ul>
 *   <li>{@code connections} short connections (four at a time, from attacker addresses) each write {@code
 *       registrations} registrations in one go and close at once, reading nothing. After {@code waitSeconds} (longer
 *       than keep-alive interval + timeout, 10 s) none of those PEs may be listed.
 *   <li>Hand-over: connection A registers a PE with a secret and closes, and the same PE (same addresses, same
 *       secret) is registered at once through a new connection B that stays open and answers keep-alives; once with
 *       A waiting for its answer before it closes, once with A closing right after sending. After the same wait both
 *       PEs are listed, and B got keep-alives for them.
 * </ul>
 */
final class OwnerlessPhase {
    private static final int POOLS = 16;
    private static final int THREADS = 4;

    private final Context ctx;
    private final int connections;
    private final int registrations;
    private final int waitSeconds;

    OwnerlessPhase(Context ctx, int connections, int registrations, int waitSeconds) {
        this.ctx = ctx;
        this.connections = connections;
        this.registrations = registrations;
        this.waitSeconds = waitSeconds;
    }

    void run(PhaseResult r) throws Exception {
        int before = ctx.registrar.elements();
        AtomicLong failedConnects = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < THREADS; w++) {
            int first = w;
            Thread t = new Thread(() -> {
                for (int c = first; c < connections; c += THREADS) {
                    try {
                        shortConnection(c);
                    } catch (IOException e) {
                        failedConnects.incrementAndGet();
                    }
                }
            }, "hostile-ownerless-" + w);
            t.start();
            workers.add(t);
        }
        for (Thread t : workers) {
            t.join();
        }
        ctx.say("ownerless: %d connections wrote %d registrations each and closed; hand-over next", connections,
                registrations);
        r.figure("connections", connections);
        r.figure("registrations", (long) connections * registrations);
        r.figure("failed_connects", failedConnects.get());
        long start = System.nanoTime();
        FrameConnection checker = null;
        try (FrameConnection b = ctx.legit()) {
            List<Owner.Pe> handedOver = new ArrayList<>();
            handedOver.add(handOver(b, 0x3001, true, r));
            handedOver.add(handOver(b, 0x3002, false, r));
            long handedAt = System.nanoTime();
            long wait = waitSeconds * 1_000_000_000L - (System.nanoTime() - start);
            ctx.say("ownerless: waiting %d s", Math.max(0, wait / 1_000_000_000L));
            Thread.sleep(Math.max(0, wait / 1_000_000));
            // opened now: a connection that sends no frame within frame-timeout is closed, as it should be
            checker = ctx.legit();
            long left = 0;
            for (int p = 0; p < POOLS; p++) {
                AsapMessage listing = Owner.resolve(checker, pool(p));
                r.check(listing != null, "the resolution of %s was not answered in 10 s", pool(p).toStringUtf8());
                left += Messages.listed(listing).size();
            }
            r.figure("left_behind", left);
            r.figure("elements_before_after", before + "/" + ctx.registrar.elements());
            r.check(left == 0, "%d PEs of closed connections still listed %d s after they closed (resolutions list "
                    + "at most 128 per pool)", left, waitSeconds);
            Owner.Pe mine = handedOver.get(0);
            Map<Integer, PoolElementEntry> listed = Messages.listed(Owner.resolve(checker, mine.pool()));
            int kept = 0;
            for (Owner.Pe pe : handedOver) {
                String how = pe.peId() == 0x3001 ? "A answered, then closed" : "A closed at once";
                boolean ok = Messages.sameAddresses(listed.get(pe.peId()), pe.addresses());
                kept += ok ? 1 : 0;
                r.check(ok, "hand-over (%s): the PE registered again through B is %s after %d s", how,
                        listed.containsKey(pe.peId()) ? "listed with other addresses" : "not listed", waitSeconds);
                r.check(b.lastKeepAlive(pe.pool(), pe.peId()) > handedAt, "hand-over (%s): B got no keep-alive for "
                        + "the PE", how);
            }
            r.figure("handed_over_kept", kept + "/2");
            r.check(b.open(), "the registrar closed connection B (%s)", b.closeReason());
        } finally {
            if (checker != null) {
                checker.close();
            }
        }
    }

    private static ByteString pool(int p) {
        return Messages.handle("ownerless-" + p);
    }

    /** One connection: registrations written in one go, then closed without reading. */
    private void shortConnection(int c) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ByteString pool = pool(c % POOLS);
        for (int i = 0; i < registrations; i++) {
            int id = 0x100000 + c * 1000 + i;
            bytes.write(FrameConnection.frame(Messages.registration(Messages.nextId(), pool, id,
                    Messages.addresses(Messages.address(5, c >>> 8, c, 5000 + i)), Messages.LIFE_MS, null)
                    .toByteArray()));
        }
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(ctx.attacker(c), 0));
            s.connect(ctx.asap(), 5_000);
            OutputStream out = s.getOutputStream();
            out.write(bytes.toByteArray());
            out.flush();
        }
    }

    /** Registers a PE through a new connection A, closes A, and registers it again through B. */
    private Owner.Pe handOver(FrameConnection b, int peId, boolean awaitFirst, PhaseResult r) throws IOException {
        ByteString pool = Messages.handle("ownerless-handover");
        byte[] secret = ctx.secret(32);
        Owner.Pe pe = new Owner.Pe(pool, peId, Messages.addresses(Messages.address(6, 0, peId, 6000)), secret);
        try (FrameConnection a = ctx.legit()) {
            long id = Messages.nextId();
            a.send(Messages.registration(id, pool, peId, pe.addresses(), Messages.LIFE_MS, secret));
            if (awaitFirst) {
                AsapMessage first = a.await(id, 10_000);
                r.check(Messages.is(first, ErrorCause.ERROR_CAUSE_OK), "hand-over: A's registration answered %s",
                        Messages.describe(first));
            }
        }
        long id = Messages.nextId();
        b.send(Messages.registration(id, pool, peId, pe.addresses(), Messages.LIFE_MS, secret));
        AsapMessage answer = b.await(id, 10_000);
        r.check(Messages.is(answer, ErrorCause.ERROR_CAUSE_OK) && !answer.hasError(), "hand-over (%s): B's "
                + "registration answered %s", awaitFirst ? "A answered, then closed" : "A closed at once",
                Messages.describe(answer));
        return pe;
    }
}
