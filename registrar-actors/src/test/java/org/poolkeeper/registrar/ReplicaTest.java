package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.poolkeeper.handlespace.AddressBlock;
import org.poolkeeper.handlespace.ElementSnapshot;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.PolicyType;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.TransportKind;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.PoolEntries;

/** The node's replica applies deltas strictly in order per pool and resolves from what it holds. */
class ReplicaTest {
    private static final PoolHandle POOL = PoolHandle.of("replica");
    private final long[] now = {1_000_000};
    private final Replica replica = new Replica(HandlespaceConfig.DEFAULTS, 1, () -> now[0]);

    private static ElementSnapshot element(int id) {
        return new ElementSnapshot(id, PolicyInfo.of(PolicyType.ROUND_ROBIN),
                AddressBlock.ipv4(0x7F000001, 7000 + id, TransportKind.TCP), 60_000, 1, 0, 0, 0, 61_000_000, id, 0,
                0, 0);
    }

    private static Delta add(long epoch, long seq, int id) {
        return new Delta(POOL, epoch, seq, Delta.Action.ADD, id, element(id), Delta.Reason.REGISTRATION, 1);
    }

    @Test
    void appliesDeltasInOrderAndDropsGaps() {
        long epoch = replica.beginIncarnation(POOL);
        replica.accept(add(epoch, 1, 1));
        replica.accept(add(epoch, 3, 3)); // 2 is missing: a gap
        assertTrue(replica.contains(POOL, 1));
        assertFalse(replica.contains(POOL, 3));
        assertEquals(1, replica.gaps());
        replica.accept(add(epoch, 2, 2));
        replica.accept(new Delta(POOL, epoch, 3, Delta.Action.REMOVE, 1, null, Delta.Reason.EXPIRY, 1));
        assertFalse(replica.contains(POOL, 1));
        assertTrue(replica.contains(POOL, 2));
        // an old epoch (a dead writer's late delta) is stale: ignored, not a gap (nothing to resync)
        assertEquals(Replica.Applied.STALE, replica.applyDelta(add(epoch - 1, 4, 4)));
        assertEquals(1, replica.gaps());
        long next = replica.beginIncarnation(POOL);
        assertTrue(next > epoch);
        replica.accept(add(next, 1, 5)); // a new epoch starts at 1
        assertTrue(replica.contains(POOL, 5));
        assertEquals(2, replica.snapshots(POOL).size());
    }

    @Test
    void resolvesFromWhatItHolds() {
        long epoch = replica.beginIncarnation(POOL);
        for (int id = 1; id <= 5; id++) {
            replica.accept(add(epoch, id, id));
        }
        ByteString wire = ByteString.copyFromUtf8("replica");
        var response = replica.resolve(7, wire, POOL, 0);
        assertEquals(7, response.getRequestId());
        assertEquals(3, response.getElementsCount(), "MaxHResItems");
        assertEquals(2, replica.resolve(8, wire, POOL, 2).getElementsCount());
        assertEquals(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE,
                replica.resolve(9, wire, PoolHandle.of("other"), 0).getCause());
    }

    @Test
    void aWriterTableReplacesTheReceiversPoolsByMarkAndSweep() {
        // the writer (registrar 1) holds PEs 1..3 of POOL; the receiver (registrar 2) a stale view
        Replica writer = new Replica(HandlespaceConfig.DEFAULTS, 1, () -> now[0]);
        writer.localWriterId(1);
        long epoch = writer.beginIncarnation(POOL);
        for (int id = 1; id <= 3; id++) {
            writer.accept(add(epoch, id, id));
        }
        PoolHandle gone = PoolHandle.of("gone");
        replica.localWriterId(2);
        replica.accept(add(epoch, 1, 1));
        replica.accept(add(epoch, 3, 9)); // a gap: dropped
        assertEquals(Replica.Applied.APPLIED, replica.applyDelta(new Delta(gone, 5, 1, Delta.Action.ADD, 4,
                element(4), Delta.Reason.REGISTRATION, 1)));
        assertEquals(1, replica.writerOf(gone));

        // two pools of the writer (POOL with 3 PEs, an empty one) in blocks of at most 4 PEs + pools
        PoolHandle empty = PoolHandle.of("an-empty-pool");
        writer.beginIncarnation(empty);
        Replica.TableExport export = writer.exportTable(1, Set.of(), Set.of(), 100);
        List<PoolEntries> table = new ArrayList<>(writer.nextBlock(export, 4));
        assertEquals(List.of("an-empty-pool"), table.stream().map(p -> p.getPoolHandle().toStringUtf8()).toList(),
                "a pool that does not fit whole starts the next block");
        assertTrue(export.hasMore());
        table.addAll(writer.nextBlock(export, 4));
        assertEquals(List.of("an-empty-pool", "replica"), table.stream()
                .map(p -> p.getPoolHandle().toStringUtf8()).toList(), "whole pools in handle order");
        assertFalse(export.hasMore());
        Set<PoolHandle> listed = new HashSet<>();
        for (PoolEntries pool : table) {
            replica.applyPool(1, pool);
            listed.add(WireMapping.poolHandle(pool.getPoolHandle()));
        }
        replica.sweep(1, listed, Set.of(), Set.of(), Set.of(), 100);
        assertTrue(replica.contains(POOL, 2) && replica.contains(POOL, 3));
        assertFalse(replica.contains(gone, 4), "a pool of the writer missing from its table is swept");
        assertEquals(writer.checksum(), replica.checksum());
        assertEquals(writer.shardChecksums(1, 100).keySet(), replica.shardChecksums(1, 100).keySet());
        // the next delta of the writer's epoch applies in order after the table
        assertEquals(Replica.Applied.APPLIED, replica.applyDelta(add(epoch, 4, 5)));
        assertEquals(Replica.Applied.STALE, replica.applyDelta(add(epoch, 2, 2)));
    }

    @Test
    void aPoolLargerThanABlockIsSentInPartsOfOneSnapshotAndTheSweepKeepsPoolsThatGotDeltas() {
        Replica writer = new Replica(HandlespaceConfig.DEFAULTS, 1, () -> now[0]);
        writer.localWriterId(1);
        long epoch = writer.beginIncarnation(POOL);
        for (int id = 1; id <= 25; id++) {
            writer.accept(add(epoch, id, id));
        }
        Replica.TableExport export = writer.exportTable(1, Set.of(), Set.of(), 100);
        List<List<PoolEntries>> blocks = new ArrayList<>();
        blocks.add(writer.nextBlock(export, 10));
        writer.accept(add(epoch, 26, 26)); // after the snapshot: the parts do not carry it, its delta does
        while (export.hasMore()) {
            blocks.add(writer.nextBlock(export, 10));
        }
        assertEquals(3, blocks.size());
        List<Integer> sizes = blocks.stream().map(b -> b.get(0).getElementsCount()).toList();
        assertEquals(List.of(9, 10, 6), sizes, "at most 10 PEs + pools per block");
        assertEquals(List.of(true, true, false), blocks.stream().map(b -> b.get(0).getContinued()).toList());
        assertTrue(blocks.stream().allMatch(b -> b.get(0).getLastSequence() == 25), "one snapshot");

        // the receiver merges the parts, applies the pool, then the delta held back meanwhile
        PoolEntries.Builder merged = blocks.get(0).get(0).toBuilder();
        blocks.subList(1, 3).forEach(b -> merged.addAllElements(b.get(0).getElementsList()));
        assertEquals(25, replica.applyPool(1, merged.build()));
        assertEquals(Replica.Applied.APPLIED, replica.applyDelta(add(epoch, 26, 26)));
        assertEquals(writer.checksum(), replica.checksum());

        // a pool of the writer not in the table is swept, unless a delta of it arrived during the pull
        PoolHandle late = PoolHandle.of("created-during-the-pull");
        replica.applyDelta(new Delta(late, 9, 1, Delta.Action.ADD, 7, element(7), Delta.Reason.REGISTRATION, 1));
        replica.sweep(1, Set.of(POOL), Set.of(late), Set.of(), Set.of(), 100);
        assertTrue(replica.contains(late, 7));
        replica.sweep(1, Set.of(POOL), Set.of(), Set.of(), Set.of(), 100);
        assertFalse(replica.contains(late, 7));
        assertTrue(replica.contains(POOL, 26));
    }
}
