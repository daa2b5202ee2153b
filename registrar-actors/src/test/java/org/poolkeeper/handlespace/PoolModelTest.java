package org.poolkeeper.handlespace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Long seeded random operation sequences against a plain reference model (lists and maps), with the tree,
 * heap and index invariants checked after every operation. Deterministic policies must pick exactly what the
 * model picks; random ones must pick distinct members. Run with {@code -Dpoolkeeper.test.seed=N} to replay.
 */
class PoolModelTest {
    private static final long BASE_SEED = Long.getLong("poolkeeper.test.seed", 0x5EED_2026L);
    private static final int OPERATIONS = 200_000;
    private static final int IDS_PER_POOL = 300;
    private static final int MAX_REPORTS = 3;
    private static final PoolHandle[] HANDLES = {PoolHandle.of("alpha"), PoolHandle.of("beta"), PoolHandle.of("gamma")};

    @ParameterizedTest
    @EnumSource(PolicyType.class)
    void randomOperationsMatchTheModel(PolicyType policy) {
        long seed = BASE_SEED ^ policy.code();
        try {
            new Run(policy, seed).run();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("policy " + policy + ", seed " + seed + " (replay with -Dpoolkeeper.test.seed="
                    + BASE_SEED + "): " + e.getMessage(), e);
        }
    }

    /** The model's view of one PE. */
    static final class ModelPE {
        int id;
        int load;
        int weight;
        int priority;
        int degradation;
        int life;
        int home;
        AddressBlock addresses;
        long deadline;
        long seq;
        long accumulated;
        int round;
        int reports;
    }

    static final class ModelPool {
        PolicyType policy;
        final Map<Integer, ModelPE> elements = new HashMap<>();
        long nextSeq;
    }

    private static final class Run {
        final PolicyType policy;
        final SplittableRandom random;
        final HandlespaceConfig config;
        Handlespace handlespace;
        final Map<PoolHandle, ModelPool> model = new HashMap<>();
        final PoolElement[] out = new PoolElement[8];
        long now = 1_000_000;

        Run(PolicyType policy, long seed) {
            this.policy = policy;
            this.random = new SplittableRandom(seed);
            this.config = HandlespaceConfig.DEFAULTS.withMaxElementsPerPool(80).withMaxHandleResolutionItems(5)
                    .withFullPoolAction(policy.ordinal() % 2 == 0 ? HandlespaceConfig.FullPoolAction.REJECT
                            : HandlespaceConfig.FullPoolAction.EVICT_RANDOM);
            this.handlespace = new Handlespace(config, seed);
            for (PoolHandle handle : HANDLES) {
                model.put(handle, new ModelPool());
            }
        }

        void run() {
            for (int op = 0; op < OPERATIONS; op++) {
                PoolHandle handle = HANDLES[random.nextInt(HANDLES.length)];
                ModelPool pool = model.get(handle);
                now += 1 + random.nextInt(100);
                int dice = random.nextInt(1000);
                if (dice < 300) {
                    register(handle, pool, policy);
                } else if (dice < 320) {
                    registerWithOtherPolicy(handle, pool);
                } else if (dice < 330) {
                    registerWithForeignAddress(handle, pool);
                } else if (dice < 480) {
                    deregister(handle, pool);
                } else if (dice < 880) {
                    resolve(handle, pool);
                } else if (dice < 950) {
                    expire();
                } else if (dice < 999) {
                    reportUnreachable(handle, pool);
                } else {
                    exportAndImport();
                }
                Pool actual = handlespace.pool(handle);
                if (actual != null) {
                    actual.checkInvariants();
                }
                assertEquals(pool.elements.size(), actual == null ? 0 : actual.size(), "size of " + handle);
                if (op % 1000 == 0) {
                    compareEverything();
                }
            }
            compareEverything();
        }

        int randomId() {
            return 1 + random.nextInt(IDS_PER_POOL);
        }

        static AddressBlock addressOf(int id) {
            return AddressBlock.ipv4(0x0A000000 | id, 1024 + id, TransportKind.TCP);
        }

        PolicyInfo randomInfo(PolicyType type) {
            return new PolicyInfo(type, random.nextInt(), 1 + random.nextInt(20), random.nextInt(4),
                    random.nextInt(1 << 20));
        }

        void register(PoolHandle handle, ModelPool pool, PolicyType type) {
            int id = randomId();
            PolicyInfo info = randomInfo(type);
            int life = 5 + random.nextInt(60);
            int home = 0x10000001 + random.nextInt(3);
            Status status = handlespace.register(handle, id, info, addressOf(id), life, home, now);
            ModelPE pe = pool.elements.get(id);
            Pool actual = handlespace.pool(handle);
            if (pe == null) {
                if (pool.policy != null && pool.policy != type) {
                    assertEquals(Status.INCONSISTENT_POOLING_POLICY, status);
                    return;
                }
                if (pool.elements.size() >= config.maxElementsPerPool()) {
                    if (config.fullPoolAction() == HandlespaceConfig.FullPoolAction.REJECT) {
                        assertEquals(Status.LACK_OF_RESOURCES, status);
                        return;
                    }
                    PoolElement evicted = actual.lastEvicted();
                    assertNotNull(evicted, "a full pool in evict mode must evict");
                    assertNotNull(pool.elements.remove(evicted.id()), "evicted a PE the model does not know");
                    assertNull(actual.find(evicted.id()));
                }
                assertEquals(Status.ADDED, status);
                pe = new ModelPE();
                pe.id = id;
                pe.seq = pool.nextSeq++;
                pe.home = home;
                pool.elements.put(id, pe);
                pool.policy = type;
            } else {
                assertEquals(Status.UPDATED, status);
                pe.home = home;
            }
            pe.load = info.load();
            pe.weight = info.weight();
            pe.priority = info.priority();
            pe.degradation = info.loadDegradation();
            pe.life = life;
            pe.addresses = addressOf(id);
            pe.deadline = now + life * 1000L;
            pe.reports = 0; // a registration starts the unreachability count afresh
            pe.accumulated = 0;
            if (Integer.compareUnsigned(pe.round, pe.weight) >= 0) {
                pe.round = 0;
            }
            comparePe(actual.find(id), pe);
        }

        void registerWithOtherPolicy(PoolHandle handle, ModelPool pool) {
            if (pool.elements.size() < 2) {
                return;
            }
            PolicyType other = PolicyType.values()[(policy.ordinal() + 1 + random.nextInt(8)) % 9];
            int id = randomId();
            Status status = handlespace.register(handle, id, randomInfo(other), addressOf(id), 10, 1, now);
            assertEquals(Status.INCONSISTENT_POOLING_POLICY, status);
        }

        void registerWithForeignAddress(PoolHandle handle, ModelPool pool) {
            if (pool.elements.isEmpty()) {
                return;
            }
            int id = pool.elements.keySet().iterator().next();
            AddressBlock foreign = AddressBlock.ipv4(0x0B000000 | id, 9, TransportKind.TCP);
            Status status = handlespace.register(handle, id, randomInfo(pool.policy), foreign, 10, 1, now);
            assertEquals(Status.NON_UNIQUE_PE_IDENTIFIER, status);
        }

        void deregister(PoolHandle handle, ModelPool pool) {
            int id = randomId();
            Status status = handlespace.deregister(handle, id);
            if (pool.elements.isEmpty()) {
                assertEquals(Status.UNKNOWN_POOL_HANDLE, status);
            } else if (pool.elements.remove(id) == null) {
                assertEquals(Status.UNKNOWN_POOL_ELEMENT, status);
            } else {
                assertEquals(Status.REMOVED, status);
            }
            if (pool.elements.isEmpty()) {
                pool.policy = null;
            }
        }

        /** Each report from another reporter, so that the count is the model's. */
        private long reporters;

        void reportUnreachable(PoolHandle handle, ModelPool pool) {
            int id = pool.elements.isEmpty() || random.nextInt(4) == 0 ? randomId()
                    : new ArrayList<>(pool.elements.keySet()).get(random.nextInt(pool.elements.size()));
            Status status = handlespace.reportUnreachable(handle, id, ++reporters, 0, Long.MAX_VALUE, MAX_REPORTS);
            ModelPE pe = pool.elements.get(id);
            if (pool.elements.isEmpty()) {
                assertEquals(Status.UNKNOWN_POOL_HANDLE, status);
            } else if (pe == null) {
                assertEquals(Status.UNKNOWN_POOL_ELEMENT, status);
            } else if (++pe.reports >= MAX_REPORTS) {
                assertEquals(Status.REMOVED, status);
                pool.elements.remove(id);
                if (pool.elements.isEmpty()) {
                    pool.policy = null;
                }
            } else {
                assertEquals(Status.REPORTED, status);
            }
        }

        static long modelKey(PolicyType type, ModelPE pe) {
            return switch (type) {
                case LEAST_USED -> Integer.toUnsignedLong(pe.load);
                case LEAST_USED_DEGRADATION -> Integer.toUnsignedLong(pe.load) + pe.accumulated;
                case PRIORITY_LEAST_USED -> Integer.toUnsignedLong(pe.load) + Integer.toUnsignedLong(pe.degradation);
                case PRIORITY -> PolicyType.MAX_LOAD - Integer.toUnsignedLong(pe.priority);
                default -> 0L;
            };
        }

        List<ModelPE> modelOrder(ModelPool pool) {
            List<ModelPE> order = new ArrayList<>(pool.elements.values());
            order.sort(Comparator.<ModelPE>comparingLong(pe -> modelKey(pool.policy, pe))
                    .thenComparingLong(pe -> pe.seq)
                    .thenComparing((a, b) -> Integer.compareUnsigned(a.id, b.id)));
            return order;
        }

        void resolve(PoolHandle handle, ModelPool pool) {
            int maxItems = random.nextInt(8);
            int maxIncrement = random.nextInt(4);
            int count = handlespace.resolve(handle, maxItems, maxIncrement, now, out);
            int wanted = maxItems == 0 ? config.maxHandleResolutionItems()
                    : Math.min(maxItems, config.maxHandleResolutionItems());
            assertEquals(Math.min(wanted, pool.elements.size()), count, "resolution size");
            if (count == 0) {
                return;
            }
            if (pool.policy.isRandom()) {
                Set<Integer> seen = new HashSet<>();
                for (int i = 0; i < count; i++) {
                    assertTrue(pool.elements.containsKey(out[i].id()), "resolved a PE that is not in the pool");
                    assertTrue(seen.add(out[i].id()), "resolved the same PE twice");
                }
            } else {
                List<ModelPE> order = modelOrder(pool);
                for (int i = 0; i < count; i++) {
                    assertEquals(order.get(i).id, out[i].id(), "selection " + i + " of " + count);
                }
            }
            int increments = Math.min(count, maxIncrement == 0 ? pool.policy.defaultMaxIncrement() : maxIncrement);
            for (int i = 0; i < increments; i++) {
                ModelPE pe = pool.elements.get(out[i].id());
                switch (pool.policy) {
                    case RANDOM, WEIGHTED_RANDOM, RANDOMIZED_LEAST_USED -> {
                        // a random draw changes no selection state
                    }
                    case WEIGHTED_ROUND_ROBIN -> {
                        if (Integer.compareUnsigned(++pe.round, pe.weight) >= 0) {
                            pe.round = 0;
                            pe.seq = pool.nextSeq++;
                        }
                    }
                    case LEAST_USED_DEGRADATION -> {
                        pe.accumulated += Integer.toUnsignedLong(pe.degradation);
                        pe.seq = pool.nextSeq++;
                    }
                    default -> pe.seq = pool.nextSeq++;
                }
            }
        }

        void expire() {
            now += random.nextInt(10_000);
            Set<String> actual = new HashSet<>();
            Map<PoolHandle, Long> lastDeadline = new HashMap<>();
            handlespace.expire(now, (pool, e) -> {
                assertTrue(e.expiryDeadline() <= now, "expired before its deadline");
                Long previous = lastDeadline.put(pool.handle(), e.expiryDeadline());
                assertTrue(previous == null || previous <= e.expiryDeadline(), "expired out of deadline order");
                actual.add(pool.handle() + "/" + e.id());
            });
            Set<String> expected = new HashSet<>();
            for (Map.Entry<PoolHandle, ModelPool> entry : model.entrySet()) {
                ModelPool pool = entry.getValue();
                pool.elements.values().removeIf(pe -> {
                    if (pe.deadline <= now) {
                        expected.add(entry.getKey() + "/" + pe.id);
                        return true;
                    }
                    return false;
                });
                if (pool.elements.isEmpty()) {
                    pool.policy = null;
                }
            }
            assertEquals(expected, actual, "expired PEs");
            assertTrue(handlespace.nextDeadline() > now, "a due PE survived expiry");
        }

        void exportAndImport() {
            Handlespace copy = new Handlespace(config, random.nextLong());
            int block = 1 + random.nextInt(50);
            List<Integer> sizes = Fixtures.exportAll(handlespace, block,
                    (pool, e) -> assertTrue(copy.importElement(pool.handle(), e.snapshot()).isSuccess()));
            assertTrue(sizes.stream().allMatch(n -> n <= block), "block larger than asked for");
            copy.checkInvariants();
            assertEquals(handlespace.checksum(), copy.checksum());
            assertEquals(handlespace.elementCount(), copy.elementCount());
            for (int owner : handlespace.ownerIds()) {
                assertEquals(handlespace.ownerChecksum(owner), copy.ownerChecksum(owner));
            }
            handlespace = copy; // go on with the imported copy: it must behave the same
            // but for who reported PEs unreachable: that stays with the writer, a copy starts counting afresh
            model.values().forEach(p -> p.elements.values().forEach(pe -> pe.reports = 0));
            compareEverything();
        }

        void compareEverything() {
            handlespace.checkInvariants();
            long checksum = 0;
            for (PoolHandle handle : HANDLES) {
                ModelPool pool = model.get(handle);
                Pool actual = handlespace.pool(handle);
                if (pool.elements.isEmpty()) {
                    assertNull(actual, "an empty pool must not exist");
                    continue;
                }
                assertEquals(pool.policy, actual.policy());
                for (ModelPE pe : pool.elements.values()) {
                    comparePe(actual.find(pe.id), pe);
                    checksum += Checksums.contribution(handle, pe.id);
                }
                if (!pool.policy.isRandom()) {
                    List<ModelPE> order = modelOrder(pool);
                    List<Integer> actualOrder = new ArrayList<>();
                    actual.forEach(e -> actualOrder.add(e.id()));
                    assertEquals(order.stream().map(pe -> pe.id).toList(), actualOrder, "selection order");
                }
            }
            assertEquals(checksum, handlespace.checksum());
        }

        static void comparePe(PoolElement actual, ModelPE pe) {
            assertNotNull(actual, "PE " + pe.id + " missing");
            assertEquals(pe.load, actual.load());
            assertEquals(pe.weight, actual.weight());
            assertEquals(pe.priority, actual.priority());
            assertEquals(pe.degradation, actual.loadDegradation());
            assertEquals(pe.life, actual.registrationLifeMs());
            assertEquals(pe.home, actual.homeRegistrarId());
            assertEquals(pe.deadline, actual.expiryDeadline());
            assertEquals(pe.accumulated, actual.accumulatedDegradation());
            assertEquals(pe.reports, actual.unreachableReports());
            assertEquals(pe.addresses, actual.addressBlock());
        }
    }
}
