package org.poolkeeper.tools.hostile;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.PoolElementEntry;

/**
 * A legitimate pool user during an attack: on its own connection from 127.0.0.1 it resolves the owner's pool every
 * 100 ms (ten a second, below any sensible per-connection rate limit), one request at a time, and checks that every
 * PE of the owner is listed with its addresses. A request not answered in 5 s counts as unanswered.
 */
final class ResolutionProbe extends Thread {
    /** One window of the probe: from {@link #window()} to the next. */
    record Window(long answered, long unanswered, long notOk, long wrongListings, double p50Ms, double p99Ms,
                  String firstWrong) {
    }

    private final Context ctx;
    private final Owner owner;
    private Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    private long answered;
    private long unanswered;
    private long notOk;
    private long wrongListings;
    private String firstWrong = "";

    ResolutionProbe(Context ctx, Owner owner) {
        super("hostile-probe");
        setDaemon(true);
        this.ctx = ctx;
        this.owner = owner;
    }

    /** Ends the current window and starts the next one. */
    synchronized Window window() {
        Window w = new Window(answered, unanswered, notOk, wrongListings,
                latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(50) / 1e6,
                latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(99) / 1e6, firstWrong);
        latency = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        answered = unanswered = notOk = wrongListings = 0;
        firstWrong = "";
        return w;
    }

    @Override
    public void run() {
        FrameConnection c = null;
        while (!isInterrupted()) {
            try {
                if (c == null || !c.open()) {
                    c = ctx.legit();
                }
                long id = Messages.nextId();
                long start = System.nanoTime();
                c.send(Messages.resolution(id, owner.pes.get(0).pool(), 128));
                AsapMessage r = c.await(id, 5_000);
                long took = System.nanoTime() - start;
                List<String> wrong = r == null ? List.of() : check(r);
                synchronized (this) {
                    if (r == null) {
                        unanswered++;
                    } else {
                        answered++;
                        latency.recordValue(Math.min(took, latency.getHighestTrackableValue()));
                        if (!Messages.is(r, ErrorCause.ERROR_CAUSE_OK)) {
                            notOk++;
                            note("answered " + Messages.describe(r));
                        } else if (!wrong.isEmpty()) {
                            wrongListings++;
                            note(Owner.firstOf(wrong, 3));
                        }
                    }
                }
                Thread.sleep(Math.max(0, 100 - TimeUnit.NANOSECONDS.toMillis(took)));
            } catch (InterruptedException e) {
                break;
            } catch (IOException e) {
                synchronized (this) {
                    unanswered++;
                    note("connection failed: " + e.getMessage());
                }
                if (c != null) {
                    c.close();
                    c = null;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    break;
                }
            }
        }
        if (c != null) {
            c.close();
        }
    }

    private List<String> check(AsapMessage r) {
        Map<Integer, PoolElementEntry> listed = Messages.listed(r);
        List<String> wrong = new ArrayList<>();
        for (Owner.Pe pe : owner.pes) {
            if (!Messages.sameAddresses(listed.get(pe.peId()), pe.addresses())) {
                wrong.add(pe.name() + (listed.containsKey(pe.peId()) ? " with other addresses" : " not listed"));
            }
        }
        return wrong;
    }

    private void note(String what) {
        if (firstWrong.isEmpty()) {
            firstWrong = what;
        }
    }
}
