package org.poolkeeper.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.poolkeeper.handlespace.ElementSnapshot;
import org.poolkeeper.handlespace.Handlespace;
import org.poolkeeper.handlespace.Pool;
import org.poolkeeper.handlespace.PoolElement;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.Status;
import org.poolkeeper.replication.PoolPart;

/**
 * One operation's measurement loop over a {@link Workload}. {@link #run(int)} performs about {@code n} operations
 * and returns the nanoseconds of its timed part; operations that need untimed preparation (refilling after
 * removals, rebuilding after bulk expiry) time only the operation itself, in batches, so the clock is read
 * rarely. {@link #once()} performs one operation (with its preparation) for JMH.
 *
 * <p>Each concrete class has its own {@code run} loop so that the JIT sees one receiver per call site.
 */
public abstract class OperationLoop {
    final Workload w;
    /** Operations completed so far. */
    long ops;
    /** Folds results in so that the JIT cannot drop the work. */
    long sink;

    OperationLoop(Workload w) {
        this.w = w;
    }

    abstract long run(int n);

    /** One operation including any preparation; returns a value to consume. */
    public abstract long once();

    long ops() {
        return ops;
    }

    /** A sensible first chunk for {@link #run}: one operation for whole-handlespace loops. */
    int initialChunk() {
        return 256;
    }

    /** Batch size for loops that time removals and refill untimed: pool swings N-B … N (B ≤ N/32). */
    static int removalBatch(Workload w) {
        return w.poolCount > 1 ? 64 : Math.max(1, Math.min(64, w.pesPerPool / 32));
    }

    /** Creates the loop for an operation on a freshly filled workload. */
    public static OperationLoop create(Operation op, Workload w) {
        return switch (op) {
            case REGISTRATION -> new Registration(w);
            case DEREGISTRATION -> new Deregistration(w);
            case REREGISTRATION -> new Reregistration(w);
            case RESOLUTION1 -> new Resolution(w, 1);
            case RESOLUTION3 -> new Resolution(w, 3);
            case TIMER -> new Timer(w);
            case EXPIRE1 -> new Expire1(w);
            case BULK_EXPIRE -> new BulkExpire(w);
            case EXPORT -> new Export(w);
            case IMPORT -> new Import(w);
        };
    }

    static final class Registration extends OperationLoop {
        Registration(Workload w) {
            super(w);
        }

        @Override
        long run(int n) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink += once();
            }
            long t = System.nanoTime() - t0;
            ops += n;
            return t;
        }

        @Override
        public long once() {
            int p = w.pickPool();
            w.addNew(p);
            long next = w.pools[p].nextDeadline();
            w.removeRandom(p);
            return next;
        }
    }

    static final class Deregistration extends OperationLoop {
        private final int batch;
        private final int[] batchPools;

        Deregistration(Workload w) {
            super(w);
            batch = removalBatch(w);
            batchPools = new int[batch];
        }

        @Override
        long run(int n) {
            long timed = 0;
            int done = 0;
            while (done < n) {
                for (int j = 0; j < batch; j++) { // untimed: the pools swing N -> N+B
                    int p = w.pickPool();
                    batchPools[j] = p;
                    w.addNew(p);
                }
                long t0 = System.nanoTime();
                for (int j = 0; j < batch; j++) { // timed: back to N
                    w.removeRandom(batchPools[j]);
                }
                timed += System.nanoTime() - t0 - Clock.OVERHEAD_NS;
                done += batch;
            }
            ops += done;
            return Math.max(timed, 1);
        }

        @Override
        int initialChunk() {
            return 64;
        }

        @Override
        public long once() {
            int p = w.pickPool();
            w.addNew(p);
            w.removeRandom(p);
            return w.liveCount[p];
        }
    }

    static final class Reregistration extends OperationLoop {
        Reregistration(Workload w) {
            super(w);
        }

        @Override
        long run(int n) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink += once();
            }
            long t = System.nanoTime() - t0;
            ops += n;
            return t;
        }

        @Override
        public long once() {
            int p = w.pickPool();
            int slot = w.pickSlot(p);
            if (w.hs.register(w.handles[p], w.live[p][slot], w.nextInfo(), w.liveAddresses[p][slot], Workload.LIFE_MS,
                    Workload.REGISTRAR_ID, ++w.now) != Status.UPDATED) {
                w.failures++;
            }
            return w.pools[p].nextDeadline();
        }
    }

    static final class Resolution extends OperationLoop {
        private final int items;
        private final PoolElement[] out = new PoolElement[8];

        Resolution(Workload w, int items) {
            super(w);
            this.items = items;
        }

        @Override
        long run(int n) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink += once();
            }
            long t = System.nanoTime() - t0;
            ops += n;
            return t;
        }

        @Override
        public long once() {
            int p = w.pickPool();
            int got = w.hs.resolve(w.handles[p], items, 0, ++w.now, out);
            if (got != items) {
                w.failures++;
            }
            return out[0].id();
        }
    }

    static final class Timer extends OperationLoop {
        Timer(Workload w) {
            super(w);
        }

        @Override
        long run(int n) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink += once();
            }
            long t = System.nanoTime() - t0;
            ops += n;
            return t;
        }

        @Override
        public long once() {
            int p = w.pickPool();
            Pool pool = w.pools[p];
            if (pool.setDeadline(w.live[p][w.pickSlot(p)], ++w.now + Workload.LIFE_US) != Status.UPDATED) {
                w.failures++;
            }
            return pool.nextDeadline();
        }
    }

    static final class Expire1 extends OperationLoop {
        private final int batch;
        private final int[] batchPools;
        private final Consumer<PoolElement> removed = e -> sink += e.id();

        Expire1(Workload w) {
            super(w);
            batch = removalBatch(w);
            batchPools = new int[batch];
        }

        @Override
        long run(int n) {
            long timed = 0;
            int done = 0;
            Pool[] pools = w.pools;
            while (done < n) {
                for (int j = 0; j < batch; j++) {
                    batchPools[j] = w.pickPool();
                }
                long t0 = System.nanoTime();
                for (int j = 0; j < batch; j++) { // timed: earliest deadline, expire exactly that PE
                    Pool pool = pools[batchPools[j]];
                    if (pool.expire(pool.nextDeadline(), removed) != 1) {
                        w.failures++;
                    }
                }
                timed += System.nanoTime() - t0 - Clock.OVERHEAD_NS;
                for (int j = 0; j < batch; j++) { // untimed refill, deadline now + life
                    w.addUntracked(batchPools[j]);
                }
                done += batch;
            }
            ops += done;
            return Math.max(timed, 1);
        }

        @Override
        int initialChunk() {
            return 64;
        }

        @Override
        public long once() {
            int p = w.pickPool();
            Pool pool = w.pools[p];
            int expired = pool.expire(pool.nextDeadline(), removed);
            w.addUntracked(p);
            return expired;
        }
    }

    static final class BulkExpire extends OperationLoop {
        private final BiConsumer<Pool, PoolElement> removed = (pool, e) -> sink += e.id();

        BulkExpire(Workload w) {
            super(w);
        }

        @Override
        long run(int n) {
            long t0 = System.nanoTime();
            int expired = w.hs.expire(Long.MAX_VALUE, removed);
            long t = System.nanoTime() - t0;
            if (expired != w.totalPes()) {
                w.failures++;
            }
            ops += expired;
            w.refill(); // untimed
            return t;
        }

        @Override
        int initialChunk() {
            return 1;
        }

        @Override
        public long once() {
            int expired = w.hs.expire(Long.MAX_VALUE, removed);
            w.refill();
            return expired;
        }
    }

    /**
     * Export: the whole handlespace as the registrar's table export produces it ({@link TableExport}, blocks of
     * 128 entries, every PE a detached snapshot), from a replica holding the workload's pools.
     */
    static final class Export extends OperationLoop {
        static final int BLOCK = 128;
        private final ReplicaTables.OneShard replica;

        Export(Workload w) {
            super(w);
            replica = ReplicaTables.replicaOf(w.hs, w.config);
        }

        @Override
        long run(int n) {
            long t0 = System.nanoTime();
            long exported = once();
            long t = System.nanoTime() - t0;
            ops += exported;
            return t;
        }

        @Override
        int initialChunk() {
            return 1;
        }

        @Override
        public long once() {
            long pes = 0;
            for (List<PoolPart> block : ReplicaTables.export(replica, BLOCK)) {
                for (PoolPart part : block) {
                    pes += part.elements().size();
                    sink += part.order().sequence();
                }
            }
            return pes;
        }
    }

    /** Import: the whole table of the workload's handlespace into an empty replica, as a table pull applies it. */
    static final class Import extends OperationLoop {
        private final List<List<PoolPart>> blocks;

        Import(Workload w) {
            super(w);
            blocks = ReplicaTables.export(ReplicaTables.replicaOf(w.hs, w.config), Export.BLOCK);
        }

        @Override
        long run(int n) {
            long t0 = System.nanoTime();
            long imported = once();
            long t = System.nanoTime() - t0;
            ops += imported;
            return t;
        }

        @Override
        int initialChunk() {
            return 1;
        }

        @Override
        public long once() {
            ReplicaTables.OneShard target = ReplicaTables.importTable(blocks, w.config);
            if (target.shard.elementCount() != w.hs.elementCount()) {
                w.failures++;
            }
            sink += target.shard.checksum();
            return target.shard.elementCount();
        }
    }
}
