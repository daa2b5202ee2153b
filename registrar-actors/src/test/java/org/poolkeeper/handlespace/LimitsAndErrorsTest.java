package org.poolkeeper.handlespace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class LimitsAndErrorsTest {
    private static final PolicyInfo RR = PolicyInfo.of(PolicyType.ROUND_ROBIN);

    private static Handlespace handlespace(HandlespaceConfig config) {
        return new Handlespace(config, 11);
    }

    @Test
    void rejectsRegistrationWhenPoolIsFull() {
        Handlespace hs = handlespace(HandlespaceConfig.DEFAULTS.withMaxElementsPerPool(3));
        PoolHandle handle = PoolHandle.of("small");
        for (int id = 1; id <= 3; id++) {
            assertEquals(Status.ADDED, hs.register(handle, id, RR, Fixtures.address(id), 1000, 1, 0));
        }
        assertEquals(Status.LACK_OF_RESOURCES, hs.register(handle, 4, RR, Fixtures.address(4), 1000, 1, 0));
        assertEquals(Status.UPDATED, hs.register(handle, 2, RR, Fixtures.address(2), 1000, 1, 5),
                "a full pool still takes re-registrations");
        assertEquals(3, hs.pool(handle).size());
    }

    @Test
    void evictsARandomElementWhenConfiguredTo() {
        Handlespace hs = handlespace(HandlespaceConfig.DEFAULTS.withMaxElementsPerPool(3)
                .withFullPoolAction(HandlespaceConfig.FullPoolAction.EVICT_RANDOM));
        PoolHandle handle = PoolHandle.of("evicting");
        for (int id = 1; id <= 3; id++) {
            hs.register(handle, id, RR, Fixtures.address(id), 1000, 1, 0);
        }
        assertEquals(Status.ADDED, hs.register(handle, 4, RR, Fixtures.address(4), 1000, 1, 0));
        Pool pool = hs.pool(handle);
        PoolElement evicted = pool.lastEvicted();
        assertNotNull(evicted);
        assertNull(pool.find(evicted.id()));
        assertNotNull(pool.find(4));
        assertEquals(3, pool.size());
        hs.checkInvariants();
    }

    @Test
    void rejectsAnElementWithAnotherPolicy() {
        Handlespace hs = handlespace(HandlespaceConfig.DEFAULTS);
        PoolHandle handle = PoolHandle.of("mixed");
        hs.register(handle, 1, RR, Fixtures.address(1), 1000, 1, 0);
        hs.register(handle, 2, RR, Fixtures.address(2), 1000, 1, 0);
        PolicyInfo lu = PolicyInfo.leastUsed(PolicyType.LEAST_USED, 5);
        assertEquals(Status.INCONSISTENT_POOLING_POLICY, hs.register(handle, 3, lu, Fixtures.address(3), 1000, 1, 0));
        assertEquals(Status.INCONSISTENT_POOLING_POLICY, hs.register(handle, 1, lu, Fixtures.address(1), 1000, 1, 0));
        hs.deregister(handle, 2);
        assertEquals(Status.UPDATED, hs.register(handle, 1, lu, Fixtures.address(1), 1000, 1, 0),
                "the only PE of a pool may switch its policy");
        assertEquals(PolicyType.LEAST_USED, hs.pool(handle).policy());
        hs.deregister(handle, 1);
        assertEquals(Status.ADDED, hs.register(handle, 9, RR, Fixtures.address(9), 1000, 1, 0),
                "an emptied pool takes any policy again");
        hs.checkInvariants();
    }

    @Test
    void rejectsInvalidValues() {
        Handlespace hs = handlespace(HandlespaceConfig.DEFAULTS);
        PoolHandle handle = PoolHandle.of("invalid");
        assertEquals(Status.INVALID_VALUES, hs.register(handle, 0, RR, Fixtures.address(1), 1000, 1, 0), "id 0");
        assertEquals(Status.INVALID_VALUES, hs.register(handle, 1, RR, Fixtures.address(1), 0, 1, 0), "life 0");
        assertEquals(Status.INVALID_VALUES, hs.register(handle, 1, RR, Fixtures.address(1),
                HandlespaceConfig.DEFAULTS.maxRegistrationLifeMs() + 1, 1, 0), "life too long");
        assertEquals(Status.INVALID_VALUES, hs.register(handle, 1, PolicyInfo.weighted(PolicyType.WEIGHTED_RANDOM, 0),
                Fixtures.address(1), 1000, 1, 0), "weight 0");
        PoolHandle tooLong = PoolHandle.of("x".repeat(33));
        assertEquals(Status.INVALID_VALUES, hs.register(tooLong, 1, RR, Fixtures.address(1), 1000, 1, 0));
        assertEquals(0, hs.poolCount(), "failed registrations leave no pool behind");
        Handlespace longer = handlespace(HandlespaceConfig.DEFAULTS.withMaxPoolHandleLength(64));
        assertEquals(Status.ADDED, longer.register(tooLong, 1, RR, Fixtures.address(1), 1000, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> PoolHandle.of(""));
    }

    @Test
    void rejectsANonUniqueIdentifierButAcceptsAnAddressChange() {
        Handlespace hs = handlespace(HandlespaceConfig.DEFAULTS);
        PoolHandle handle = PoolHandle.of("ids");
        TransportAddress a = TransportAddress.tcp("10.0.0.1", 80);
        TransportAddress b = TransportAddress.tcp("10.0.0.2", 80);
        TransportAddress c = TransportAddress.tcp("10.0.0.3", 80);
        assertEquals(Status.ADDED, hs.register(handle, 5, RR, AddressBlock.of(a, b), 1000, 1, 0));
        assertEquals(Status.NON_UNIQUE_PE_IDENTIFIER, hs.register(handle, 5, RR, AddressBlock.of(c), 1000, 1, 0));
        assertEquals(Status.UPDATED, hs.register(handle, 5, RR, AddressBlock.of(b, c), 1000, 1, 0));
        assertEquals(List.of(b, c), hs.find(handle, 5).addresses());
    }

    @Test
    void unknownHandlesAndElementsAreReported() {
        Handlespace hs = handlespace(HandlespaceConfig.DEFAULTS);
        PoolHandle handle = PoolHandle.of("known");
        hs.register(handle, 1, RR, Fixtures.address(1), 1000, 1, 0);
        assertEquals(Status.UNKNOWN_POOL_HANDLE, hs.deregister(PoolHandle.of("unknown"), 1));
        assertEquals(Status.UNKNOWN_POOL_ELEMENT, hs.deregister(handle, 2));
        assertEquals(0, hs.resolve(PoolHandle.of("unknown"), 3, 0, 0, new PoolElement[3]));
        assertEquals(Status.REMOVED, hs.deregister(handle, 1));
        assertNull(hs.pool(handle));
    }

    @Test
    void thirdDistinctReporterRemovesTheElement() {
        Handlespace hs = handlespace(HandlespaceConfig.DEFAULTS);
        PoolHandle handle = PoolHandle.of("flaky");
        hs.register(handle, 1, RR, Fixtures.address(1), 1000, 1, 0);
        hs.register(handle, 2, RR, Fixtures.address(2), 1000, 1, 0);
        assertEquals(Status.REPORTED, hs.reportUnreachable(handle, 1, 11, 10, WINDOW, 3));
        assertEquals(Status.REPORTED, hs.reportUnreachable(handle, 1, 12, 20, WINDOW, 3));
        assertEquals(Status.REMOVED, hs.reportUnreachable(handle, 1, 13, 30, WINDOW, 3));
        assertNull(hs.find(handle, 1));
        assertEquals(Status.UNKNOWN_POOL_ELEMENT, hs.reportUnreachable(handle, 1, 14, 40, WINDOW, 3));
    }

    private static final long WINDOW = 30_000_000;

    @Test
    void oneReporterCountsOnceHoweverOftenItReports() {
        Handlespace hs = handlespace(HandlespaceConfig.DEFAULTS);
        PoolHandle handle = PoolHandle.of("flood");
        hs.register(handle, 1, RR, Fixtures.address(1), 1000, 1, 0);
        for (int i = 0; i < 1000; i++) {
            assertEquals(Status.REPORTED, hs.reportUnreachable(handle, 1, 7, i, WINDOW, 3));
        }
        assertEquals(1, hs.find(handle, 1).unreachableReports());
        assertEquals(Status.REPORTED, hs.reportUnreachable(handle, 1, 8, 1000, WINDOW, 3));
        assertEquals(Status.REMOVED, hs.reportUnreachable(handle, 1, 9, 1001, WINDOW, 3));
    }

    @Test
    void aReRegistrationStartsTheCountAfresh() {
        Handlespace hs = handlespace(HandlespaceConfig.DEFAULTS);
        PoolHandle handle = PoolHandle.of("renewed");
        hs.register(handle, 1, RR, Fixtures.address(1), 1000, 1, 0);
        hs.reportUnreachable(handle, 1, 1, 10, WINDOW, 3);
        hs.reportUnreachable(handle, 1, 2, 20, WINDOW, 3);
        hs.register(handle, 1, RR, Fixtures.address(1), 1000, 1, 30);
        assertEquals(0, hs.find(handle, 1).unreachableReports());
        assertEquals(Status.REPORTED, hs.reportUnreachable(handle, 1, 3, 40, WINDOW, 3));
        assertEquals(Status.REPORTED, hs.reportUnreachable(handle, 1, 1, 50, WINDOW, 3));
        assertEquals(Status.REMOVED, hs.reportUnreachable(handle, 1, 2, 60, WINDOW, 3));
    }

    @Test
    void reportsOlderThanTheWindowNoLongerCount() {
        Handlespace hs = handlespace(HandlespaceConfig.DEFAULTS);
        PoolHandle handle = PoolHandle.of("scattered");
        hs.register(handle, 1, RR, Fixtures.address(1), 1000, 1, 0);
        hs.reportUnreachable(handle, 1, 1, 0, WINDOW, 3);
        hs.reportUnreachable(handle, 1, 2, WINDOW / 2, WINDOW, 3);
        assertEquals(Status.REPORTED, hs.reportUnreachable(handle, 1, 3, WINDOW + 1, WINDOW, 3));
        assertEquals(2, hs.find(handle, 1).unreachableReports());
    }

    @Test
    void onlyItsHolderOrItsOwnerHashChangesAnExistingElement() {
        Handlespace hs = handlespace(HandlespaceConfig.DEFAULTS);
        PoolHandle handle = PoolHandle.of("owned");
        assertEquals(Status.ADDED, hs.register(handle, 1, RR, Fixtures.address(1), 1000, 1, 0, 5, 6, false));
        assertEquals(Status.REJECTED, hs.register(handle, 1, RR, Fixtures.address(1), 9000, 2, 1, 5, 7, false));
        assertEquals(Status.REJECTED, hs.register(handle, 1, RR, Fixtures.address(1), 9000, 2, 1, 0, 0, false));
        assertEquals(1000, hs.find(handle, 1).registrationLifeMs());
        assertEquals(Status.UPDATED, hs.register(handle, 1, RR, Fixtures.address(1), 9000, 2, 1, 5, 6, false));
        assertEquals(2, hs.find(handle, 1).homeRegistrarId());
        assertEquals(Status.UPDATED, hs.register(handle, 1, RR, Fixtures.address(1), 9000, 2, 2, 0, 0, true));
        assertTrue(hs.find(handle, 1).ownedBy(5, 6), "a holder without a secret keeps the owner hash");
        // without an owner hash only the holder may change it
        assertEquals(Status.ADDED, hs.register(handle, 2, RR, Fixtures.address(2), 1000, 1, 0, 0, 0, false));
        assertEquals(Status.REJECTED, hs.register(handle, 2, RR, Fixtures.address(2), 1000, 1, 1, 0, 0, false));
        assertEquals(Status.UPDATED, hs.register(handle, 2, RR, Fixtures.address(2), 1000, 1, 1, 0, 0, true));
    }

    @Test
    void resolutionHonoursTheItemLimitsAndNeverRepeatsAnElement() {
        Handlespace hs = handlespace(HandlespaceConfig.DEFAULTS);
        PoolHandle handle = PoolHandle.of("limits");
        for (int id = 1; id <= 10; id++) {
            hs.register(handle, id, PolicyInfo.of(PolicyType.RANDOM), Fixtures.address(id), 1000, 1, 0);
        }
        PoolElement[] out = new PoolElement[128];
        assertEquals(3, hs.resolve(handle, 0, 0, 0, out), "MaxHResItems by default");
        assertEquals(3, hs.resolve(handle, 50, 0, 0, out), "never more than MaxHResItems");
        assertEquals(2, hs.resolve(handle, 2, 0, 0, out), "a request may ask for fewer");
        Handlespace wide = handlespace(HandlespaceConfig.DEFAULTS.withMaxHandleResolutionItems(128));
        for (int id = 1; id <= 10; id++) {
            wide.register(handle, id, PolicyInfo.of(PolicyType.RANDOM), Fixtures.address(id), 1000, 1, 0);
        }
        assertEquals(10, wide.resolve(handle, 128, 0, 0, out), "asking for more than the pool holds returns all");
        assertEquals(10, new HashSet<>(Arrays.asList(out).subList(0, 10)).size());
        assertThrows(IllegalArgumentException.class,
                () -> HandlespaceConfig.DEFAULTS.withMaxHandleResolutionItems(129));
    }

    @Test
    void takeoverMovesAnElementToItsNewOwner() {
        Handlespace hs = handlespace(HandlespaceConfig.DEFAULTS);
        PoolHandle handle = PoolHandle.of("takeover");
        hs.register(handle, 1, RR, Fixtures.address(1), 1000, 0xA, 0);
        hs.register(handle, 2, RR, Fixtures.address(2), 1000, 0xA, 0);
        long before = hs.checksum();
        hs.register(handle, 1, RR, Fixtures.address(1), 1000, 0xB, 1);
        assertEquals(1, hs.ownerElementCount(0xA));
        assertEquals(1, hs.ownerElementCount(0xB));
        assertEquals(before, hs.checksum(), "membership did not change");
        assertEquals(before, hs.ownerChecksum(0xA) + hs.ownerChecksum(0xB));
        List<Integer> owned = new ArrayList<>();
        hs.forEachOwned(0xB, e -> owned.add(e.id()));
        assertEquals(List.of(1), owned);
        hs.checkInvariants();
    }

    @Test
    void addressesAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> TransportAddress.tcp("10.0.0.1", 0));
        assertThrows(IllegalArgumentException.class, () -> TransportAddress.tcp("10.0.0.1", 65536));
        assertThrows(IllegalArgumentException.class, () -> TransportAddress.tcp("10.0.0.256", 80));
        assertThrows(IllegalArgumentException.class, () -> TransportAddress.tcp("example.org", 80));
        assertThrows(IllegalArgumentException.class, () -> AddressBlock.of(List.of()));
        List<TransportAddress> many = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            many.add(TransportAddress.tcp("10.0.0." + i, 80));
        }
        assertThrows(IllegalArgumentException.class, () -> AddressBlock.of(many));
        assertEquals(64, AddressBlock.of(many.subList(0, 64)).size());
        TransportAddress v6 = TransportAddress.of("::1", 443, TransportKind.SCTP);
        assertEquals(List.of(v6), AddressBlock.of(v6).addresses());
    }
}
