package org.poolkeeper.registrar.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.poolkeeper.handlespace.AddressBlock;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.PolicyType;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.TransportKind;
import org.poolkeeper.protocol.wire.DumpCursor;
import org.poolkeeper.protocol.wire.DumpRequest;
import org.poolkeeper.protocol.wire.DumpResponse;
import org.poolkeeper.protocol.wire.DumpedPool;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.PoolElementEntry;

/** A dump, block by block: every PE exactly once, in id order per pool, each block within its bounds. */
class NodeReplicaDumpTest {
    private static final int SHARDS = 16;
    private static final int SELF = 0x42;
    private static final long NOW = 1_700_000_000_000_000L;

    private final NodeReplica replica = new NodeReplica(SHARDS, HandlespaceConfig.DEFAULTS, 7);

    private void register(String pool, int peId) {
        PoolHandle h = PoolHandle.of(pool.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        replica.apply(replica.shardOf(h), s -> {
            if (s.incarnation() == 0) {
                s.beginIncarnation(SELF, 1);
            }
            return s.register(h, peId, PolicyInfo.of(PolicyType.ROUND_ROBIN),
                    AddressBlock.ipv4(0x7f000001, 1000 + (peId & 0x7fff), TransportKind.TCP), 30_000, SELF, NOW,
                    d -> { });
        });
    }

    /** Every block of a dump, following the cursors. */
    private List<DumpResponse> dumpAll(ByteString only, int maxElements) {
        List<DumpResponse> blocks = new ArrayList<>();
        DumpRequest.Builder request = DumpRequest.newBuilder().setPoolHandle(only).setMaxElements(maxElements);
        for (int i = 0; i < 100_000; i++) {
            DumpResponse block = replica.dump(request.setRequestId(i).build(), 32, 48 * 1024, NOW + 1_000_000);
            assertEquals(ErrorCause.ERROR_CAUSE_OK, block.getCause());
            blocks.add(block);
            if (!block.hasNextCursor()) {
                return blocks;
            }
            request.setCursor(block.getNextCursor());
        }
        throw new AssertionError("the dump does not end");
    }

    private static Map<String, List<Integer>> gather(List<DumpResponse> blocks) {
        Map<String, List<Integer>> pools = new HashMap<>();
        for (DumpResponse b : blocks) {
            for (DumpedPool p : b.getPoolsList()) {
                List<Integer> ids = pools.computeIfAbsent(p.getPoolHandle().toStringUtf8(), x -> new ArrayList<>());
                for (PoolElementEntry e : p.getElementsList()) {
                    ids.add(e.getPeId());
                }
            }
        }
        return pools;
    }

    @Test
    void aDumpListsEveryPeOnceInIdOrderPerPoolInBoundedBlocks() {
        for (int p = 0; p < 300; p++) {
            register("pool-" + p, 1 + p % 3);
            register("pool-" + p, 0x8000_0000 + p); // above 2^31: ids are unsigned
        }
        for (int i = 1; i <= 1_234; i++) {
            register("big", i * 7);
        }
        List<DumpResponse> blocks = dumpAll(ByteString.EMPTY, 100);
        Map<String, List<Integer>> pools = gather(blocks);
        assertEquals(301, pools.size());
        assertEquals(1_234, pools.get("big").size());
        for (Map.Entry<String, List<Integer>> e : pools.entrySet()) {
            List<Integer> ids = e.getValue();
            for (int i = 1; i < ids.size(); i++) {
                assertTrue(Integer.compareUnsigned(ids.get(i - 1), ids.get(i)) < 0, e.getKey() + " in id order, once");
            }
        }
        assertEquals(replica.elementCount(), pools.values().stream().mapToInt(List::size).sum());
        for (DumpResponse b : blocks) {
            int n = b.getPoolsList().stream().mapToInt(DumpedPool::getElementsCount).sum();
            assertTrue(n <= 100, "a block holds at most the PEs asked for: " + n);
            assertTrue(b.getSerializedSize() < 60 * 1024, "a block fits a frame");
            assertEquals(NOW + 1_000_000, b.getNowUs());
        }
        assertTrue(blocks.size() >= 1_834 / 100, "the dump took several blocks");
        DumpedPool big = blocks.stream().flatMap(b -> b.getPoolsList().stream())
                .filter(p -> p.getPoolHandle().toStringUtf8().equals("big")).findFirst().orElseThrow();
        assertEquals(1_234, big.getSize(), "each part of a pool tells its whole size");
        assertEquals(SELF, big.getWriterRegistrarId());
        PoolElementEntry first = big.getElements(0);
        assertEquals(NOW + 30_000_000L, first.getExpiryDeadlineUs());
        assertEquals(0, first.getOwnerHashHi() | first.getOwnerHashLo(), "no owner hash leaves the registrar");
    }

    @Test
    void aDumpOfOnePoolListsOnlyItAndAnUnknownOrInvalidOneIsRefused() {
        register("a", 1);
        for (int i = 1; i <= 1_000; i++) {
            register("b", i);
        }
        List<DumpResponse> blocks = dumpAll(ByteString.copyFromUtf8("b"), 0); // 0: the registrar's block size
        Map<String, List<Integer>> pools = gather(blocks);
        assertEquals(List.of("b"), new ArrayList<>(pools.keySet()));
        assertEquals(new TreeSet<>(pools.get("b")).size(), 1_000);
        assertEquals(2, blocks.size(), "1,000 PEs at 500 per block");

        assertEquals(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE, replica.dump(DumpRequest.newBuilder()
                .setPoolHandle(ByteString.copyFromUtf8("nothing")).build(), 32, 48 * 1024, NOW).getCause());
        assertEquals(ErrorCause.ERROR_CAUSE_INVALID_VALUES, replica.dump(DumpRequest.newBuilder()
                .setCursor(DumpCursor.newBuilder().setShard(SHARDS)).build(), 32, 48 * 1024, NOW).getCause(), "shard");
        assertEquals(ErrorCause.ERROR_CAUSE_INVALID_VALUES, replica.dump(DumpRequest.newBuilder()
                .setPoolHandle(ByteString.copyFrom(new byte[33])).build(), 32, 48 * 1024, NOW).getCause(), "handle length");
        assertEquals(ErrorCause.ERROR_CAUSE_INVALID_VALUES, replica.dump(DumpRequest.newBuilder()
                .setCursor(DumpCursor.newBuilder().setAfterPeId(5)).build(), 32, 48 * 1024, NOW).getCause(), "PE without pool");
    }

    @Test
    void anEmptyHandlespaceDumpsAsOneEmptyBlock() {
        List<DumpResponse> blocks = dumpAll(ByteString.EMPTY, 0);
        assertEquals(1, blocks.size());
        assertEquals(0, blocks.get(0).getPoolsCount());
        assertFalse(blocks.get(0).hasNextCursor());
    }
}
