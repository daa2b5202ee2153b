/**
 * The replication core: what a registrar's replica of the handlespace knows about the order of changes, and
 * how it exchanges them with other registrars, as plain single-threaded Java (no actors, no wire format, no
 * clock: time is a parameter), testable and benchmarkable without a cluster.
 *
 * <ul>
 *   <li>{@link org.poolkeeper.replication.Shards}: the one mapping of a pool handle to its shard.</li>
 *   <li>{@link org.poolkeeper.replication.ShardReplica}: one shard's pools with each pool's
 *   {@link org.poolkeeper.replication.PoolOrder}; delta admission ({@link org.poolkeeper.replication.Admission});
 *   the writer's operations, which produce {@link org.poolkeeper.replication.Delta}s; pool states from tables,
 *   mark and sweep; per-writer and per-home-registrar checksums.</li>
 *   <li>{@link org.poolkeeper.replication.TableExport}: a writer's table, block by block
 *   ({@link org.poolkeeper.replication.PoolPart}s), built on the handlespace core's export cursor.</li>
 *   <li>{@link org.poolkeeper.replication.ReplicaSync}: the receiving side: deltas in order, resyncs after gaps
 *   and new epochs, table pulls ({@link org.poolkeeper.replication.TablePull}).</li>
 * </ul>
 */
package org.poolkeeper.replication;
