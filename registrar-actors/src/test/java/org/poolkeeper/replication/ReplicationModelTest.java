package org.poolkeeper.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.poolkeeper.handlespace.AddressBlock;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.PolicyType;
import org.poolkeeper.handlespace.Pool;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.TransportKind;

/**
 * Three registrars, each with a replica of every shard and the writer of some, exchanging deltas and tables
 * through simulated channels: deltas between two registrars stay in order but may be dropped by an overflow (the
 * next batch then says so), table blocks travel apart from deltas and are built only when the receiver asks for
 * them, so deltas and blocks interleave in any order; shards move to another writer at random (takeover). Every
 * step is followed by every replica's {@code checkInvariants()}; at the end, once every channel is drained and
 * the audit finds nothing, every replica must equal its shards' writers: same pools, orders and PEs. Replay a
 * failure with {@code -Dpoolkeeper.test.seed=N}.
 */
class ReplicationModelTest {
    private static final long BASE_SEED = Long.getLong("poolkeeper.test.seed", 0x5EED_2026L);
    private static final int SHARDS = 8;
    private static final int NODES = 3;
    private static final HandlespaceConfig CONFIG = HandlespaceConfig.DEFAULTS.withMaxElementsPerPool(40);

    @ParameterizedTest(name = "run {0}")
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void replicasConvergeToTheirWritersThroughDropsReorderingAndTakeovers(int run) {
        long seed = BASE_SEED + run * 0x9E3779B97F4A7C15L;
        try {
            new Mesh(seed).run(4_000);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("run " + run + " of seed " + BASE_SEED + " (replay with -Dpoolkeeper.test.seed="
                    + BASE_SEED + "): " + e.getMessage(), e);
        }
    }

    /** A registrar's replica: its shards, reached without locks (the model is single-threaded). */
    static final class Node implements ShardAccess {
        final int id;
        final ShardReplica[] shards = new ShardReplica[SHARDS];
        final ReplicaSync sync;

        Node(int id, long seed) {
            this.id = id;
            for (int s = 0; s < SHARDS; s++) {
                shards[s] = new ShardReplica(s, SHARDS, CONFIG, seed + s);
            }
            this.sync = new ReplicaSync(this);
        }

        @Override
        public int numberOfShards() {
            return SHARDS;
        }

        @Override
        public <T> T apply(int shard, Function<ShardReplica, T> action) {
            return action.apply(shards[shard]);
        }
    }

    /** A table pull in flight: the writer builds each block when the receiver's request for it arrives. */
    static final class PullInFlight {
        final Node receiver;
        final Node writer;
        final TablePull pull;
        TableExport export;

        PullInFlight(Node receiver, Node writer, TablePull pull) {
            this.receiver = receiver;
            this.writer = writer;
            this.pull = pull;
        }
    }

    record Batch(List<Delta> deltas, boolean resyncRequired) {
    }

    static final class Mesh {
        final SplittableRandom random;
        final Node[] nodes = new Node[NODES];
        final Map<String, ArrayDeque<Batch>> channels = new HashMap<>();
        final List<PullInFlight> pulls = new ArrayList<>();
        final PoolHandle[] handles;
        final Map<PoolHandle, Integer> policies = new HashMap<>();
        long now = 1_000_000;
        int takeovers;
        int drops;

        Mesh(long seed) {
            random = new SplittableRandom(seed);
            for (int i = 0; i < NODES; i++) {
                nodes[i] = new Node(0x100 + i, seed + i);
            }
            handles = new PoolHandle[24];
            for (int i = 0; i < handles.length; i++) {
                handles[i] = PoolHandle.of("pool-" + i);
            }
            // every shard starts written by a random registrar
            for (int s = 0; s < SHARDS; s++) {
                Node w = nodes[random.nextInt(NODES)];
                w.shards[s].beginIncarnation(w.id, now);
            }
            for (Node from : nodes) {
                for (Node to : nodes) {
                    if (from != to) {
                        channels.put(key(from, to), new ArrayDeque<>());
                    }
                }
            }
        }

        static String key(Node from, Node to) {
            return from.id + ">" + to.id;
        }

        Node writerOf(int shard) {
            for (Node n : nodes) {
                if (n.shards[shard].incarnation() == n.id) {
                    return n;
                }
            }
            throw new AssertionError("shard " + shard + " has no writer");
        }

        Node node(int id) {
            for (Node n : nodes) {
                if (n.id == id) {
                    return n;
                }
            }
            throw new AssertionError("no node " + id);
        }

        void run(int steps) {
            for (int step = 0; step < steps; step++) {
                int dice = random.nextInt(100);
                if (dice < 40) {
                    write();
                } else if (dice < 65) {
                    deliverBatch();
                } else if (dice < 85) {
                    advancePull();
                } else if (dice < 90) {
                    drop();
                } else if (dice < 93) {
                    takeover();
                } else if (dice < 97) {
                    audit();
                } else {
                    now += 1_000 + random.nextInt(2_000_000);
                }
                for (Node n : nodes) {
                    for (ShardReplica s : n.shards) {
                        try {
                            s.checkInvariants();
                        } catch (IllegalStateException e) {
                            throw new IllegalStateException("step " + step + " (dice " + dice + ") at node " + n.id
                                    + ": " + e.getMessage(), e);
                        }
                    }
                }
            }
            settle();
            compareWithWriters();
            assertTrue(takeovers > 0 && drops > 0, "the run exercised takeovers (" + takeovers + ") and drops ("
                    + drops + ")");
        }

        // -------------------------------------------------------------- writers

        void write() {
            PoolHandle handle = handles[random.nextInt(handles.length)];
            int shard = Shards.of(handle, SHARDS);
            Node w = writerOf(shard);
            ShardReplica s = w.shards[shard];
            List<Delta> out = new ArrayList<>();
            int op = random.nextInt(10);
            Pool pool = s.pool(handle);
            if (op < 5 || pool == null) {
                int peId = 1 + random.nextInt(30);
                PolicyType type = policies.computeIfAbsent(handle, h -> random.nextInt(3)) == 0
                        ? PolicyType.ROUND_ROBIN : policies.get(handle) == 1 ? PolicyType.LEAST_USED
                        : PolicyType.WEIGHTED_RANDOM;
                PolicyInfo info = new PolicyInfo(type, random.nextInt(1000), 1 + random.nextInt(10), 0, 0);
                AddressBlock address = AddressBlock.ipv4(0x0A000000 + peId, 1000 + peId, TransportKind.TCP);
                s.register(handle, peId, info, address, 1_000 + random.nextInt(5_000),
                        nodes[random.nextInt(NODES)].id, now, out::add);
            } else if (op < 7) {
                int peId = pool.size() == 0 ? 1 : anyPe(pool);
                s.deregister(handle, peId, Delta.Reason.DEREGISTRATION, out::add);
            } else if (op < 8) {
                s.reportUnreachable(handle, anyPe(pool), random.nextInt(4), now, 30_000_000, 3, out::add);
            } else if (op < 9) {
                s.limitDeadlines(nodes[random.nextInt(NODES)].id, now + random.nextInt(2_000_000));
            } else {
                now += random.nextInt(3_000_000);
                s.expire(now, id -> true, out::add);
            }
            for (Delta d : out) {
                assertEquals(w.id, d.writer());
            }
            if (!out.isEmpty()) {
                send(w, out);
            }
        }

        int anyPe(Pool pool) {
            List<Integer> ids = new ArrayList<>();
            pool.forEach(e -> ids.add(e.id()));
            return ids.get(random.nextInt(ids.size()));
        }

        void send(Node from, List<Delta> deltas) {
            for (Node to : nodes) {
                if (to != from) {
                    channels.get(key(from, to)).add(new Batch(List.copyOf(deltas), false));
                }
            }
        }

        void takeover() {
            int shard = random.nextInt(SHARDS);
            Node old = writerOf(shard);
            Node next = nodes[random.nextInt(NODES)];
            if (next == old) {
                return;
            }
            old.shards[shard].endIncarnation();
            next.shards[shard].beginIncarnation(next.id, now);
            takeovers++;
        }

        // -------------------------------------------------------------- network

        void deliverBatch() {
            String channel = randomBusyChannel();
            if (channel != null) {
                deliver(channel);
            }
        }

        /** A channel with batches in flight, chosen at random; null if none has any. */
        String randomBusyChannel() {
            List<String> busy = new ArrayList<>();
            channels.forEach((k, q) -> {
                if (!q.isEmpty()) {
                    busy.add(k);
                }
            });
            return busy.isEmpty() ? null : busy.get(random.nextInt(busy.size()));
        }

        void deliver(String channel) {
            Batch b = channels.get(channel).poll();
            String[] ends = channel.split(">");
            Node from = node(Integer.parseInt(ends[0]));
            Node to = node(Integer.parseInt(ends[1]));
            boolean resync = b.resyncRequired();
            for (TablePull p : to.sync.receive(b.deltas(), now)) {
                pulls.add(new PullInFlight(to, node(p.writer()), p));
            }
            if (resync && to.sync.pulls().stream().noneMatch(p -> p.writer() == from.id && p.isWholeTable())) {
                pulls.add(new PullInFlight(to, from, to.sync.pull(from.id, Set.of(), Set.of(), now)));
            }
        }

        /** An overflow: a batch never leaves; the next one tells the receiver to pull the sender's table. */
        void drop() {
            String channel = randomBusyChannel();
            if (channel == null) {
                return;
            }
            ArrayDeque<Batch> q = channels.get(channel);
            q.pollLast();
            q.add(new Batch(List.of(), true));
            drops++;
        }

        void advancePull() {
            if (pulls.isEmpty()) {
                return;
            }
            advance(pulls.get(random.nextInt(pulls.size())));
        }

        void advance(PullInFlight f) {
            if (f.receiver.sync.pullById(f.pull.id()) == null) {
                pulls.remove(f);
                return;
            }
            if (f.export == null) {
                f.export = new TableExport(f.writer.id, f.pull.shards(), f.pull.handles(), SHARDS,
                        2 + random.nextInt(12));
                return;
            }
            List<PoolPart> block = f.export.nextBlock(f.writer);
            ReplicaSync.Progress progress = f.receiver.sync.block(f.pull.id(), block, !f.export.hasMore(), now);
            for (TablePull p : progress.started()) {
                pulls.add(new PullInFlight(f.receiver, node(p.writer()), p));
            }
            if (progress.finished()) {
                pulls.remove(f);
            }
        }

        /**
         * One round of Presence, as the registrars' auditors run it: each writer's per-shard checksum and PE count
         * against every replica's totals for that writer; a shard that differs is pulled from its writer.
         */
        boolean audit() {
            boolean found = false;
            for (Node writer : nodes) {
                for (int s = 0; s < SHARDS; s++) {
                    if (writer.shards[s].incarnation() != writer.id) {
                        continue;
                    }
                    ShardReplica.WriterTotal theirs = writer.shards[s].writerTotal(writer.id);
                    for (Node replica : nodes) {
                        if (replica == writer) {
                            continue;
                        }
                        ShardReplica.WriterTotal mine = replica.shards[s].writerTotal(writer.id);
                        if (mine.checksum() != theirs.checksum() || mine.elements() != theirs.elements()) {
                            found = true;
                            pulls.add(new PullInFlight(replica, writer,
                                    replica.sync.pull(writer.id, Set.of(s), Set.of(), now)));
                        }
                    }
                }
            }
            return found;
        }

        // -------------------------------------------------------------- the end

        void settle() {
            for (int round = 0; round < 200; round++) {
                boolean busy = false;
                for (String channel : new ArrayList<>(channels.keySet())) {
                    while (!channels.get(channel).isEmpty()) {
                        deliver(channel);
                        busy = true;
                    }
                }
                while (!pulls.isEmpty()) {
                    advance(pulls.get(0));
                    busy = true;
                }
                if (!busy && !audit()) {
                    return;
                }
            }
            throw new AssertionError("replication did not settle within 200 rounds");
        }

        void compareWithWriters() {
            for (int s = 0; s < SHARDS; s++) {
                Node writer = writerOf(s);
                Map<String, String> expected = contents(writer.shards[s]);
                for (Node replica : nodes) {
                    assertEquals(expected, contents(replica.shards[s]), "shard " + s + " at " + replica.id
                            + " differs from its writer " + writer.id);
                    assertEquals(orders(writer.shards[s]), orders(replica.shards[s]), "orders of shard " + s);
                    assertEquals(writer.shards[s].checksum(), replica.shards[s].checksum());
                }
            }
        }

        static Map<String, PoolOrder> orders(ShardReplica shard) {
            Map<String, PoolOrder> orders = new TreeMap<>();
            for (ShardReplica.WriterTotal t : shard.writerTotals()) {
                for (PoolHandle h : shard.poolsWrittenBy(t.writer(), x -> true)) {
                    orders.put(h.toString(), shard.order(h));
                }
            }
            return orders;
        }

        /** Every PE's replicated attributes (not the selection state each replica changes by resolving). */
        static Map<String, String> contents(ShardReplica shard) {
            Map<String, String> contents = new LinkedHashMap<>();
            for (String h : orders(shard).keySet()) {
                Pool pool = shard.pool(PoolHandle.of(h));
                Map<Integer, String> pes = new TreeMap<>();
                pool.forEach(e -> pes.put(e.id(), e.addresses() + " load=" + e.load() + " weight=" + e.weight()
                        + " home=" + e.homeRegistrarId() + " life=" + e.registrationLifeMs()));
                contents.put(h + " " + pool.policy(), pes.toString());
            }
            return contents;
        }
    }
}
