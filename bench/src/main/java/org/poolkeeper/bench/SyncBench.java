package org.poolkeeper.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.poolkeeper.handlespace.PolicyType;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.Status;
import org.poolkeeper.protocol.wire.HandleTableResponse;
import org.poolkeeper.protocol.wire.HandleUpdate;
import org.poolkeeper.protocol.wire.HandleUpdateBatch;
import org.poolkeeper.protocol.wire.PoolEntries;
import org.poolkeeper.registrar.wire.WireMapping;
import org.poolkeeper.replication.Delta;
import org.poolkeeper.replication.PoolPart;
import org.poolkeeper.replication.ReplicaSync;
import org.poolkeeper.replication.TablePull;

/**
 * Synchronization figures (the paper's section 4.4), on the code registrars run between each other: a writer's
 * full table ({@link org.poolkeeper.replication.TableExport}) in blocks of 128 entries, core only and encoded into
 * the registrar protocol's {@code HandleTableResponse}; the import on the other side (a table pull,
 * {@link ReplicaSync}), core only and decoding those bytes; and a delta sync in which the writer re-registers a
 * share of the PEs and only those changes travel as {@code HandleUpdate}s, to show what deltas save against a
 * full transfer.
 */
final class SyncBench {
    static final int BLOCK = 128;
    static final double[] DELTA_FRACTIONS = {0.01, 0.05, 0.25};

    private SyncBench() {
    }

    record Row(int pes, String what, Stats millis, long bytes, String note) {
    }

    record Result(List<Row> rows) {
    }

    /** A repeated task: one call does the whole thing once and returns a value to consume. */
    private interface Task {
        long run() throws Exception;
    }

    /** Milliseconds per task call: each repetition runs the task for a window, at least once. */
    private static Stats time(Task task, long windowNs, int reps) throws Exception {
        long sink = 0;
        long warm = System.nanoTime();
        do {
            sink += task.run();
        } while (System.nanoTime() - warm < windowNs);
        double[] ms = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            int calls = 0;
            long t;
            do {
                sink += task.run();
                calls++;
                t = System.nanoTime() - t0;
            } while (t < windowNs);
            ms[r] = t / 1e6 / calls;
        }
        if (sink == 42) {
            System.err.print("");
        }
        return Stats.bootstrap(ms);
    }

    static Result measure(int[] sizes, long windowNs, int reps, PrintStream err) {
        try {
            List<Row> rows = new ArrayList<>();
            for (int n : sizes) {
                measureSize(n, windowNs, reps, rows, err);
            }
            return new Result(rows);
        } catch (Exception e) {
            throw new IllegalStateException("sync benchmark failed", e);
        }
    }

    private static void measureSize(int n, long windowNs, int reps, List<Row> rows, PrintStream err)
            throws Exception {
        Workload w = new Workload(PolicyType.ROUND_ROBIN, 1, n, 2).fill();
        OperationLoop.Export export = new OperationLoop.Export(w);
        OperationLoop.Import coreImport = new OperationLoop.Import(w);

        Stats exportCore = time(export::once, windowNs, reps);
        add(rows, err, new Row(n, "export, core only (TableExport: pool parts of snapshots)", exportCore, 0, ""));

        // the writer: the workload's pools in a shard it writes (epoch 2), and its table as bytes
        ReplicaTables.OneShard writer = ReplicaTables.replicaOf(w.hs, w.config);
        writer.shard.beginIncarnation(ReplicaTables.WRITER, 2);
        List<byte[]> blocks = encodeFull(writer);
        long fullBytes = blocks.stream().mapToLong(b -> b.length).sum();
        Stats exportEncode = time(() -> encodeFull(writer).size(), windowNs, reps);
        add(rows, err, new Row(n, "export + encode (HandleTableResponse per 128 entries, toByteArray)", exportEncode,
                fullBytes, blocks.size() + " blocks"));

        Stats importCore = time(coreImport::once, windowNs, reps);
        add(rows, err, new Row(n, "import, core only (a table pull into an empty replica)", importCore, 0, ""));

        Stats decodeImport = time(() -> decodeAndImport(blocks, w).shard.elementCount(), windowNs, reps);
        add(rows, err, new Row(n, "decode + import (parseFrom, WireMapping.poolPart, table pull)", decodeImport,
                fullBytes, ""));

        Stats full = time(() -> decodeAndImport(encodeFull(writer), w).shard.elementCount(), windowNs, reps);
        add(rows, err, new Row(n, "full sync: export + encode + decode + import", full, fullBytes, "baseline"));

        ReplicaTables.OneShard replica = decodeAndImport(blocks, w);
        if (replica.shard.checksum() != writer.shard.checksum()) {
            throw new IllegalStateException("replica checksum differs after a full sync");
        }
        ReplicaSync sync = new ReplicaSync(replica);
        PoolHandle handle = w.handles[0];
        for (double fraction : DELTA_FRACTIONS) {
            int changes = Math.max(1, (int) Math.round(n * fraction));
            long[] bytes = {0};
            Stats deltaTime = time(() -> {
                List<byte[]> batches = reregisterAndEncode(w, writer, handle, changes);
                bytes[0] = batches.stream().mapToLong(b -> b.length).sum();
                return applyDeltas(batches, sync);
            }, windowNs, reps);
            if (replica.shard.checksum() != writer.shard.checksum()
                    || !replica.shard.order(handle).equals(writer.shard.order(handle))) {
                throw new IllegalStateException("replica differs from the writer after a delta sync");
            }
            String note = String.format(Locale.ROOT, "time %+.0f %%, bytes %+.0f %% vs full sync",
                    100 * (deltaTime.center / full.center - 1), 100 * (bytes[0] / (double) fullBytes - 1));
            add(rows, err, new Row(n, String.format(Locale.ROOT, "delta sync, %.0f %% of PEs changed (%,d "
                    + "re-registrations at the writer, HandleUpdates encoded, decoded, applied)", fraction * 100,
                    changes), deltaTime, bytes[0], note));
        }
    }

    private static void add(List<Row> rows, PrintStream err, Row row) {
        rows.add(row);
        err.printf(Locale.ROOT, "sync: %,9d PEs  %-70s %10.3f ms [%.3f, %.3f]%s%n", row.pes(), row.what(),
                row.millis().center, row.millis().low, row.millis().high,
                row.bytes() > 0 ? String.format(Locale.ROOT, "  %,d bytes", row.bytes()) : "");
    }

    /** The writer's whole table as HandleTableResponse blocks of at most 128 entries, as its table server sends it. */
    static List<byte[]> encodeFull(ReplicaTables.OneShard writer) {
        List<byte[]> blocks = new ArrayList<>();
        long cursor = 0;
        List<List<PoolPart>> table = ReplicaTables.export(writer, BLOCK);
        for (int i = 0; i < table.size(); i++) {
            HandleTableResponse.Builder response = HandleTableResponse.newBuilder().setRequestId(1)
                    .setSenderRegistrarId(ReplicaTables.WRITER).setMoreToSend(i < table.size() - 1)
                    .setNextCursor(++cursor);
            for (PoolPart part : table.get(i)) {
                response.addPools(WireMapping.poolEntries(part));
            }
            blocks.add(response.build().toByteArray());
        }
        return blocks;
    }

    /** Decodes a table and imports it into an empty replica, as a registrar's table pull does. */
    static ReplicaTables.OneShard decodeAndImport(List<byte[]> blocks, Workload w)
            throws InvalidProtocolBufferException {
        ReplicaTables.OneShard target = new ReplicaTables.OneShard(w.config, 3);
        ReplicaSync sync = new ReplicaSync(target);
        TablePull pull = sync.pull(ReplicaTables.WRITER, java.util.Set.of(), java.util.Set.of(), 0);
        for (byte[] block : blocks) {
            HandleTableResponse response = HandleTableResponse.parseFrom(block);
            List<PoolPart> parts = new ArrayList<>(response.getPoolsCount());
            for (PoolEntries entries : response.getPoolsList()) {
                parts.add(WireMapping.poolPart(entries, ReplicaTables.WRITER, w.config.maxPoolHandleLength()));
            }
            sync.block(pull.id(), parts, !response.getMoreToSend(), 0);
        }
        return target;
    }

    /** The writer re-registers {@code changes} random PEs; their deltas as HandleUpdateBatches of 128. */
    static List<byte[]> reregisterAndEncode(Workload w, ReplicaTables.OneShard writer, PoolHandle handle,
                                            int changes) {
        List<Delta> deltas = new ArrayList<>(changes);
        for (int i = 0; i < changes; i++) {
            int slot = w.pickSlot(0);
            if (writer.shard.register(handle, w.live[0][slot], w.nextInfo(), w.liveAddresses[0][slot],
                    Workload.LIFE_MS, Workload.REGISTRAR_ID, ++w.now, deltas::add) != Status.UPDATED) {
                throw new IllegalStateException("re-registration failed");
            }
        }
        List<byte[]> batches = new ArrayList<>();
        HandleUpdateBatch.Builder batch = HandleUpdateBatch.newBuilder().setSenderRegistrarId(ReplicaTables.WRITER);
        for (int i = 0; i < deltas.size(); i++) {
            batch.addUpdates(WireMapping.handleUpdate(deltas.get(i)));
            if (batch.getUpdatesCount() == BLOCK || i == deltas.size() - 1) {
                batches.add(batch.build().toByteArray());
                batch = HandleUpdateBatch.newBuilder().setSenderRegistrarId(ReplicaTables.WRITER);
            }
        }
        return batches;
    }

    /** Decodes update batches and applies them as a registrar's inbox does. */
    static long applyDeltas(List<byte[]> batches, ReplicaSync sync) throws InvalidProtocolBufferException {
        long applied = 0;
        for (byte[] bytes : batches) {
            List<Delta> deltas = new ArrayList<>();
            for (HandleUpdate update : HandleUpdateBatch.parseFrom(bytes).getUpdatesList()) {
                deltas.add(WireMapping.delta(update));
            }
            if (!sync.receive(deltas, 0).isEmpty()) {
                throw new IllegalStateException("a delta did not apply in order");
            }
            applied += deltas.size();
        }
        return applied;
    }

    static String markdown(Result result, RunInfo info) {
        StringBuilder b = new StringBuilder("# Synchronization — export and import in blocks of 128 PEs\n\n")
                .append(info.header()).append('\n');
        if (result == null) {
            return b.append("Not measured in this run (--no-sync).\n").toString();
        }
        b.append("One pool \"BenchPool\" (RR) of N PEs. Time per whole operation, mean over the repetitions with the "
                + "bootstrap 95 % CI. Goal: export at most half RSPLIB's time (RSPLIB 3.4.4 here: 0.18 ms for 2,000 PEs, "
                + "~50 ms for 100,000; the paper: 720 ms for 2,000 PEs and \"up to −62 %\" with deltas).\n\n");
        b.append("| PEs | what | ms | 95 % CI | bytes | note |\n| ---: | --- | ---: | --- | ---: | --- |\n");
        for (Row r : result.rows()) {
            b.append(String.format(Locale.ROOT, "| %,d | %s | %.3f | %.3f–%.3f | %s | %s |%n", r.pes(), r.what(),
                    r.millis().center, r.millis().low, r.millis().high,
                    r.bytes() > 0 ? String.format(Locale.ROOT, "%,d", r.bytes()) : "—", r.note()));
        }
        b.append("\nThe export is the registrars' own (TableExport: the pool walked with the core's export cursor, "
                + "each PE a detached snapshot in a pool part; a pool larger than a block in parts of one state); the "
                + "encoded variant builds the registrar protocol's HandleTableResponse (PoolEntries with "
                + "PoolElementEntry per PE, full replication state) and serializes it. The import is a table pull "
                + "(ReplicaSync: parts merged, each pool applied, then the sweep). A delta sync is the writer "
                + "re-registering the changed PEs, their HandleUpdates (HandleUpdateBatch messages of 128) encoded, "
                + "decoded and applied in order by the replica; its saving is against the full sync row (encode, "
                + "decode and import of everything).\n");
        return b.toString();
    }
}
