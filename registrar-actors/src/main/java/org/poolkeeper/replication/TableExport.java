package org.poolkeeper.replication;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.poolkeeper.handlespace.ElementSnapshot;
import org.poolkeeper.handlespace.ExportCursor;
import org.poolkeeper.handlespace.Pool;
import org.poolkeeper.handlespace.PoolHandle;

/**
 * A writer's table, block by block: the pools one writer writes (all of them, those of some shards, or some
 * pools), shard after shard in ascending order and in handle order within a shard, each pool with its order
 * and the full state of its PEs. This is the one export of the registrar: table pulls (join, resync, audit
 * repair) and the synchronization benchmark run it.
 *
 * <p>A block holds at most {@code maxElementsPerBlock} entries, a pool counting one besides its PEs. Each pool is
 * taken when its block is built, under its shard's exclusive access, with the handlespace core's export cursor
 * ({@link Pool#exportCursor}), so a receiver that applies every pool as it arrives, in between the writer's
 * deltas, stays consistent. A pool larger than a block is taken at once and sent in several parts of one state
 * ({@link PoolPart#continued}). A shard's list of pools is taken when the export reaches the shard: pools the
 * writer starts later reach the receiver as deltas, and pools that are gone or changed writer by the time their
 * turn comes are left out.
 *
 * <p>Not thread-safe: one caller (the table server) drives an export; the shards are reached through
 * {@link ShardAccess}.
 */
public final class TableExport {
    private final int writer;
    private final Set<PoolHandle> handles;
    private final int blockSize;
    private final int[] shards;
    private int shardIndex = -1;
    private List<PoolHandle> pools = List.of();
    private int nextPool;
    private final ArrayDeque<PoolPart> parts = new ArrayDeque<>();

    /**
     * @param writer              the registrar whose pools to export (this registrar)
     * @param shards              the shards to export; empty: every shard
     * @param handles             the pools to export; empty: every pool (of the shards)
     * @param numberOfShards      how many shards there are
     * @param maxElementsPerBlock entries per block (PEs plus one per pool), at least 2
     */
    public TableExport(int writer, Set<Integer> shards, Set<PoolHandle> handles, int numberOfShards,
                       int maxElementsPerBlock) {
        Objects.requireNonNull(shards, "shards");
        this.writer = writer;
        this.handles = Set.copyOf(handles);
        this.blockSize = Math.max(2, maxElementsPerBlock);
        TreeSet<Integer> scope = new TreeSet<>();
        if (!handles.isEmpty()) {
            for (PoolHandle h : handles) {
                int s = Shards.of(h, numberOfShards);
                if (shards.isEmpty() || shards.contains(s)) {
                    scope.add(s);
                }
            }
        } else if (!shards.isEmpty()) {
            for (int s : shards) {
                if (s >= 0 && s < numberOfShards) {
                    scope.add(s);
                }
            }
        } else {
            for (int s = 0; s < numberOfShards; s++) {
                scope.add(s);
            }
        }
        this.shards = scope.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Whether another block follows. */
    public boolean hasMore() {
        return !parts.isEmpty() || nextPool < pools.size() || shardIndex + 1 < shards.length;
    }

    /** The next block: at most {@code maxElementsPerBlock} entries; empty only at the end. */
    public List<PoolPart> nextBlock(ShardAccess access) {
        List<PoolPart> block = new ArrayList<>();
        int budget = blockSize;
        while (budget > 1) {
            if (!parts.isEmpty()) {
                PoolPart part = parts.peek();
                if (part.elements().size() + 1 > budget && !block.isEmpty()) {
                    break;
                }
                block.add(parts.poll());
                budget -= part.elements().size() + 1;
                continue;
            }
            if (nextPool < pools.size()) {
                PoolHandle handle = pools.get(nextPool);
                int room = budget;
                boolean first = block.isEmpty();
                List<PoolPart> taken = access.apply(shards[shardIndex], s -> take(s, handle, room, first));
                if (taken == null) {
                    break; // does not fit: it starts the next block
                }
                nextPool++;
                parts.addAll(taken);
                continue;
            }
            if (shardIndex + 1 >= shards.length) {
                break;
            }
            shardIndex++;
            nextPool = 0;
            pools = access.apply(shards[shardIndex],
                    s -> s.poolsWrittenBy(writer, h -> handles.isEmpty() || handles.contains(h)));
        }
        return block;
    }

    /**
     * The pool's state as parts, or an empty list if it is gone or written by another registrar now, or
     * {@code null} if it does not fit into the {@code room} left and is not the first of its block.
     */
    private List<PoolPart> take(ShardReplica shard, PoolHandle handle, int room, boolean firstOfBlock) {
        PoolOrder order = shard.order(handle);
        Pool pool = shard.pool(handle);
        if (order == null || pool == null || order.writer() != writer) {
            return List.of();
        }
        if (pool.size() + 1 > room && !firstOfBlock) {
            return null;
        }
        List<PoolPart> list = new ArrayList<>();
        ExportCursor cursor = pool.exportCursor();
        int partSize = pool.size() + 1 <= room ? pool.size() : Math.max(1, blockSize - 1);
        boolean more;
        do {
            List<ElementSnapshot> elements = new ArrayList<>(Math.min(partSize, pool.size()));
            more = pool.exportBlock(cursor, partSize, e -> elements.add(e.snapshot()));
            list.add(new PoolPart(handle, pool.policy(), order, elements, more));
        } while (more);
        return list;
    }
}
