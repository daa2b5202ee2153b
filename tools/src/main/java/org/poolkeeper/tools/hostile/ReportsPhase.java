package org.poolkeeper.tools.hostile;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.ErrorCause;

/**
 * Phase {@code reports}: EndpointUnreachable is one vote per reporting connection, so one client cannot remove a
 * healthy PE. The owner answers keep-alives for three PEs throughout.
 *
 * <ul>
 *   <li>{@code same} reports on PE 1 from one connection: still listed.
 *   <li>One report on PE 2 from each of max-bad-pe-reports (3) distinct connections: removed.
 *   <li>PE 3: two distinct reporters, the owner re-registers it (the count starts again), a third reporter: still
 *       listed.
 *   <li>A report for an unknown pool and one for an unknown PE of a known pool: each answered by an Error with a
 *       non-OK cause, and the registrar then still answers that connection.
 * </ul>
 */
final class ReportsPhase {
    private static final long SETTLE_MS = 1_500;

    private final Context ctx;
    private final int sameConnectionReports;
    private final List<FrameConnection> reporters = new ArrayList<>();
    private int nextAttacker = 10;

    ReportsPhase(Context ctx, int sameConnectionReports) {
        this.ctx = ctx;
        this.sameConnectionReports = sameConnectionReports;
    }

    void run(PhaseResult r) throws Exception {
        try {
            runChecks(r);
        } finally {
            reporters.forEach(FrameConnection::close);
        }
    }

    private void runChecks(PhaseResult r) throws Exception {
        try (Owner owner = Owner.open(ctx); FrameConnection checker = ctx.legit()) {
            List<Owner.Pe> pes = owner.register(ctx, "reports", 0x2001, 3, 32);
            Owner.Pe one = pes.get(0);
            Owner.Pe two = pes.get(1);
            Owner.Pe three = pes.get(2);
            Map<String, Integer> errors = new TreeMap<>();

            // one connection, many reports
            try (FrameConnection reporter = reporter(errors)) {
                List<AsapMessage> batch = new ArrayList<>();
                for (int i = 0; i < sameConnectionReports; i++) {
                    batch.add(Messages.unreachable(Messages.nextId(), one.pool(), one.peId()));
                }
                reporter.sendAll(batch);
                Thread.sleep(SETTLE_MS);
            }
            boolean oneListed = listed(checker, one);
            r.figure("one_reporter", sameConnectionReports + " reports: " + (oneListed ? "listed" : "removed"));
            r.check(oneListed, "%d reports from one connection removed %s", sameConnectionReports, one.name());

            // three distinct connections
            report(two, 3, errors);
            boolean twoGone = awaitGone(checker, two);
            r.figure("three_reporters", twoGone ? "removed" : "listed");
            r.check(twoGone, "reports from 3 distinct connections did not remove %s within 5 s", two.name());

            // two, a re-registration, one more
            report(three, 2, errors);
            long id = Messages.nextId();
            owner.connection.send(Messages.registration(id, three.pool(), three.peId(), three.addresses(),
                    Messages.LIFE_MS, three.secret()));
            AsapMessage rereg = owner.connection.await(id, 10_000);
            r.check(Messages.is(rereg, ErrorCause.ERROR_CAUSE_OK), "the owner's re-registration of %s answered %s",
                    three.name(), Messages.describe(rereg));
            report(three, 1, errors);
            Thread.sleep(SETTLE_MS);
            boolean threeListed = listed(checker, three);
            r.figure("reset_by_reregistration", threeListed ? "listed" : "removed");
            r.check(threeListed, "2 reporters, a re-registration, 1 more reporter removed %s", three.name());

            // unknown pool, unknown PE
            try (FrameConnection reporter = ctx.attacker(nextAttacker++, true)) {
                long unknownPool = Messages.nextId();
                reporter.send(Messages.unreachable(unknownPool, Messages.handle("reports-no-such-pool"), 1));
                AsapMessage a = reporter.await(unknownPool, 5_000);
                long unknownPe = Messages.nextId();
                reporter.send(Messages.unreachable(unknownPe, one.pool(), 0x7777));
                AsapMessage b = reporter.await(unknownPe, 5_000);
                r.figure("unknown_pool", Messages.describe(a));
                r.figure("unknown_pe", Messages.describe(b));
                r.check(a != null && a.hasError() && Messages.cause(a) != 0, "a report for an unknown pool was "
                        + "answered %s, not an Error with a cause", Messages.describe(a));
                r.check(b != null && b.hasError() && Messages.cause(b) != 0, "a report for an unknown PE was answered "
                        + "%s, not an Error with a cause", Messages.describe(b));
                AsapMessage after = Owner.resolve(reporter, one.pool());
                r.check(Messages.is(after, ErrorCause.ERROR_CAUSE_OK), "after the unknown reports the registrar "
                        + "answered a resolution on that connection %s", Messages.describe(after));
            }
            List<String> wrong = owner.wrong(checker, List.of(one, three));
            r.check(wrong.isEmpty(), "at the end: %s", Owner.firstOf(wrong, 3));
            r.check(owner.connection.open(), "the registrar closed the owner's connection (%s)",
                    owner.connection.closeReason());
            r.detail("report_errors", errors.toString());
        }
    }

    /** A connection that reports; Errors it gets are counted by cause. */
    private FrameConnection reporter(Map<String, Integer> errors) throws IOException {
        FrameConnection c = ctx.attacker(nextAttacker++, true);
        c.listen(m -> {
            synchronized (errors) {
                errors.merge(Messages.describe(m), 1, Integer::sum);
            }
        });
        return c;
    }

    /**
     * One report on {@code pe} from each of {@code connections} new connections, which stay open until the phase
     * ends (whether a closed reporter's vote still counts is not what this phase asks).
     */
    private void report(Owner.Pe pe, int connections, Map<String, Integer> errors) throws IOException {
        for (int i = 0; i < connections; i++) {
            FrameConnection c = reporter(errors);
            reporters.add(c);
            c.send(Messages.unreachable(Messages.nextId(), pe.pool(), pe.peId()));
        }
    }

    private static boolean listed(FrameConnection checker, Owner.Pe pe) throws IOException {
        return Messages.listed(Owner.resolve(checker, pe.pool())).containsKey(pe.peId());
    }

    private static boolean awaitGone(FrameConnection checker, Owner.Pe pe) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!listed(checker, pe)) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }
}
