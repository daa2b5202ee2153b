package org.poolkeeper.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.poolkeeper.handlespace.ElementSnapshot;
import org.poolkeeper.handlespace.Handlespace;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.handlespace.Pool;
import org.poolkeeper.replication.PoolOrder;
import org.poolkeeper.replication.PoolPart;
import org.poolkeeper.replication.ReplicaSync;
import org.poolkeeper.replication.ShardAccess;
import org.poolkeeper.replication.ShardReplica;
import org.poolkeeper.replication.TableExport;
import org.poolkeeper.replication.TablePull;

/**
 * The registrar's own table export and import, run on a bench workload: the workload's pools are put into a
 * one-shard replica (as the registrar's shards hold them), exported with {@link TableExport} block by block and
 * imported into an empty replica with {@link ReplicaSync} (a table pull, pool by pool), so that the export and
 * import figures measure the code that registrars run between each other.
 */
final class ReplicaTables {
    /** The writer id the workload's pools are exported as. */
    static final int WRITER = Workload.REGISTRAR_ID;

    private ReplicaTables() {
    }

    /** One shard holding every pool: what a registrar's shard lock guards, without the lock. */
    static final class OneShard implements ShardAccess {
        final ShardReplica shard;

        OneShard(HandlespaceConfig config, long seed) {
            this.shard = new ShardReplica(0, 1, config, seed);
        }

        @Override
        public int numberOfShards() {
            return 1;
        }

        @Override
        public <T> T apply(int s, Function<ShardReplica, T> action) {
            return action.apply(shard);
        }
    }

    /** A replica holding the workload's pools, each at order (1, 1) of {@link #WRITER}. */
    static OneShard replicaOf(Handlespace hs, HandlespaceConfig config) {
        OneShard replica = new OneShard(config, 1);
        for (Pool pool : hs.pools()) {
            List<ElementSnapshot> elements = new ArrayList<>(pool.size());
            pool.forEach(e -> elements.add(e.snapshot()));
            replica.shard.applyPool(new PoolPart(pool.handle(), pool.policy(), new PoolOrder(1, 1, WRITER), elements,
                    false));
        }
        return replica;
    }

    /** The whole table of {@code replica} in blocks of {@code blockSize} entries. */
    static List<List<PoolPart>> export(OneShard replica, int blockSize) {
        TableExport export = new TableExport(WRITER, Set.of(), Set.of(), 1, blockSize);
        List<List<PoolPart>> blocks = new ArrayList<>();
        while (export.hasMore()) {
            blocks.add(export.nextBlock(replica));
        }
        return blocks;
    }

    /** Imports a whole table into an empty replica, as a registrar's table pull does. */
    static OneShard importTable(List<List<PoolPart>> blocks, HandlespaceConfig config) {
        OneShard target = new OneShard(config, 2);
        ReplicaSync sync = new ReplicaSync(target);
        TablePull pull = sync.pull(WRITER, Set.of(), Set.of(), 0);
        for (int i = 0; i < blocks.size(); i++) {
            sync.block(pull.id(), blocks.get(i), i == blocks.size() - 1, 0);
        }
        return target;
    }
}
