package org.poolkeeper.handlespace;

/** Small builders shared by the handlespace tests. */
final class Fixtures {
    static final int HOME = 0x10000001;
    static final int LIFE_MS = 30_000;

    private Fixtures() {
    }

    static AddressBlock address(int id) {
        return AddressBlock.ipv4(0x0A000000 | (id & 0xFFFF), 1 + (id & 0x7FFF), TransportKind.TCP);
    }

    static Pool pool(String name) {
        return new Pool(PoolHandle.of(name), HandlespaceConfig.DEFAULTS.withMaxHandleResolutionItems(128), 42);
    }

    static Status register(Pool pool, int id, PolicyInfo info, long now) {
        return pool.register(id, info, address(id), LIFE_MS, HOME, now);
    }

    /**
     * Exports every pool of {@code handlespace} in handle order, in blocks of at most {@code blockSize} PEs (a block
     * does not span pools), through each pool's export cursor, and hands every PE with its pool to {@code sink}.
     *
     * @return the sizes of the blocks
     */
    static java.util.List<Integer> exportAll(Handlespace handlespace, int blockSize,
                                             java.util.function.BiConsumer<Pool, PoolElement> sink) {
        java.util.List<Pool> pools = new java.util.ArrayList<>(handlespace.pools());
        pools.sort((a, b) -> a.handle().compareTo(b.handle()));
        java.util.List<Integer> sizes = new java.util.ArrayList<>();
        for (Pool pool : pools) {
            ExportCursor cursor = pool.exportCursor();
            boolean more;
            do {
                int[] n = {0};
                more = pool.exportBlock(cursor, blockSize, e -> {
                    sink.accept(pool, e);
                    n[0]++;
                });
                sizes.add(n[0]);
            } while (more);
        }
        return sizes;
    }
}
