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
}
