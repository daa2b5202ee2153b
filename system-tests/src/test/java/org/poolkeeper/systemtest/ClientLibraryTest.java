package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.NoRegistrarReachableException;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.PoolElementClient;
import org.poolkeeper.client.PoolElementRegistration;
import org.poolkeeper.client.PoolElementSpec;
import org.poolkeeper.client.PoolUserClient;
import org.poolkeeper.client.RegistrarAddress;
import org.poolkeeper.client.ResolvedElement;
import org.poolkeeper.client.UnknownPoolHandleException;

/** The client library against one real registrar JVM over loopback TCP. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientLibraryTest {
    private RegistrarProcess registrar;
    private PoolUserClient user;

    @BeforeAll
    void startRegistrar() throws Exception {
        registrar = RegistrarProcess.start(0x51, Settings.keepAliveInterval("200ms"),
                Settings.keepAliveTimeout("300ms"), Settings.maxHandleResolutionItems(128));
        user = PoolUserClient.create(ClientSettings.of(registrar.asap()));
    }

    @AfterAll
    void stopRegistrar() {
        if (user != null) {
            user.close();
        }
        if (registrar != null) {
            registrar.close();
        }
    }

    private static PoolElementSpec.Builder spec(String pool, int port) {
        return PoolElementSpec.builder(pool, Policy.ROUND_ROBIN)
                .address(new InetSocketAddress("127.0.0.1", port));
    }

    static void eventually(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(25);
        }
        throw new AssertionError(what + " did not happen within " + limit);
    }

    private List<Integer> resolveIds(PoolUserClient client, String pool) {
        try {
            return client.resolveBlocking(pool, 128).stream().map(ResolvedElement::peId).toList();
        } catch (UnknownPoolHandleException e) {
            return List.of();
        }
    }

    @Test
    void registersResolvesAndDeregisters() throws Exception {
        try (PoolElementClient pe = PoolElementClient.create(ClientSettings.of(registrar.asap()))) {
            PoolElementRegistration registration = pe.registerBlocking(spec("client-basic", 7001).peId(0x1234).build());
            assertEquals(0x1234, registration.peId());
            List<ResolvedElement> resolved = user.resolveBlocking("client-basic", 0);
            assertEquals(1, resolved.size());
            assertEquals(0x1234, resolved.get(0).peId());
            assertEquals(Policy.ROUND_ROBIN, resolved.get(0).policy());
            assertEquals(List.of(new InetSocketAddress("127.0.0.1", 7001)), resolved.get(0).addresses());
            registration.deregister().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
        assertThrows(UnknownPoolHandleException.class, () -> user.resolveBlocking("client-basic", 0));
    }

    @Test
    void reregistersAutomaticallyBeforeTheLifeEnds() throws Exception {
        try (PoolElementClient pe = PoolElementClient.create(ClientSettings.of(registrar.asap()))) {
            PoolElementRegistration registration = pe.registerBlocking(spec("client-rereg", 7002)
                    .registrationLife(Duration.ofMillis(900)).build());
            Thread.sleep(2_500); // almost three lives
            assertTrue(registration.reregistrations() >= 5, "re-registered every life/3: " + registration.reregistrations());
            assertEquals(List.of(registration.peId()), resolveIds(user, "client-rereg"));
        }
    }

    @Test
    void reregistrationCarriesTheCurrentLoad() throws Exception {
        int[] load = {1000};
        try (PoolElementClient pe = PoolElementClient.create(ClientSettings.of(registrar.asap()))) {
            PoolElementRegistration busy = pe.registerBlocking(PoolElementSpec.builder("client-lu", Policy.LEAST_USED)
                    .address(new InetSocketAddress("127.0.0.1", 7003)).load(() -> load[0]).build());
            PoolElementRegistration idle = pe.registerBlocking(PoolElementSpec.builder("client-lu", Policy.LEAST_USED)
                    .address(new InetSocketAddress("127.0.0.1", 7004)).load(500).build());
            assertEquals(idle.peId(), resolveIds(user, "client-lu").get(0));
            load[0] = 10;
            busy.reregister().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertEquals(busy.peId(), resolveIds(user, "client-lu").get(0), "the lower load now comes first");
        }
    }

    @Test
    void answersKeepAlivesAndAnAbandonedElementIsRemoved() throws Exception {
        try (PoolElementClient pe = PoolElementClient.create(ClientSettings.of(registrar.asap()))) {
            PoolElementSpec.Builder longLived = spec("client-keepalive", 7005)
                    .registrationLife(Duration.ofSeconds(60)).autoReregister(false);
            PoolElementRegistration alive = pe.registerBlocking(longLived.build());
            PoolElementRegistration crashed = pe.registerBlocking(spec("client-keepalive", 7006)
                    .registrationLife(Duration.ofSeconds(60)).autoReregister(false).build());
            Thread.sleep(1_000); // several keep-alive rounds, all answered
            assertEquals(2, resolveIds(user, "client-keepalive").size());
            crashed.abandon();
            eventually("removal of the PE that stopped answering", Duration.ofSeconds(3),
                    () -> resolveIds(user, "client-keepalive").equals(List.of(alive.peId())));
            assertTrue(alive.isActive());
        }
    }

    @Test
    void poolsWhoseHandlesShareAHashCodeKeepTheirOwnElements() throws Exception {
        assertEquals("Aa".hashCode(), "BB".hashCode());
        try (PoolElementClient pe = PoolElementClient.create(ClientSettings.of(registrar.asap()))) {
            PoolElementRegistration aa = pe.registerBlocking(spec("Aa", 7008).peId(77)
                    .registrationLife(Duration.ofSeconds(60)).autoReregister(false).build());
            PoolElementRegistration bb = pe.registerBlocking(spec("BB", 7009).peId(77)
                    .registrationLife(Duration.ofSeconds(60)).autoReregister(false).build());
            assertEquals(2, pe.activeRegistrations());
            Thread.sleep(1_000); // several keep-alive rounds: each answered for its own pool
            assertEquals(List.of(77), resolveIds(user, "Aa"));
            assertEquals(List.of(77), resolveIds(user, "BB"));
            aa.deregister().toCompletableFuture().get(5, TimeUnit.SECONDS);
            Thread.sleep(1_000); // the other one's keep-alives are still answered
            assertEquals(List.of(77), resolveIds(user, "BB"), "deregistering one leaves the other");
            assertTrue(bb.isActive());
        }
    }

    @Test
    void reportsOfThreeUsersRemoveTheElementAndOneUserIsOneReporter() throws Exception {
        try (PoolElementClient pe = PoolElementClient.create(ClientSettings.of(registrar.asap()))) {
            PoolElementRegistration registration = pe.registerBlocking(spec("client-unreachable", 7007)
                    .autoReregister(false).build());
            List<PoolUserClient> reporters = new ArrayList<>();
            try {
                for (int r = 0; r < 3; r++) {
                    reporters.add(PoolUserClient.create(ClientSettings.of(registrar.asap())));
                    reporters.get(r).resolveBlocking("client-unreachable", 0);
                }
                for (int i = 0; i < 3; i++) {
                    assertTrue(reporters.get(0).reportUnreachable("client-unreachable", registration.peId()));
                }
                assertTrue(reporters.get(1).reportUnreachable("client-unreachable", registration.peId()));
                Thread.sleep(300);
                assertEquals(List.of(registration.peId()), resolveIds(user, "client-unreachable"),
                        "two users' reports are not enough, however often one of them reports");
                assertTrue(reporters.get(2).reportUnreachable("client-unreachable", registration.peId()));
                eventually("removal after the third user's report", Duration.ofSeconds(3),
                        () -> resolveIds(user, "client-unreachable").isEmpty());
            } finally {
                for (PoolUserClient r : reporters) {
                    r.close();
                }
            }
        }
    }

    @Test
    void cacheAnswersUntilItIsStale() throws Exception {
        try (PoolElementClient pe = PoolElementClient.create(ClientSettings.of(registrar.asap()));
             PoolUserClient cached = PoolUserClient.create(ClientSettings.of(registrar.asap())
                     .withCacheStaleTimeout(Duration.ofMillis(800)))) {
            PoolElementRegistration first = pe.registerBlocking(spec("client-cache", 7008).build());
            List<ResolvedElement> a = cached.resolveBlocking("client-cache", 0);
            pe.registerBlocking(spec("client-cache", 7009).build());
            List<ResolvedElement> b = cached.resolveBlocking("client-cache", 0);
            assertSame(a, b, "within the stale timeout the cached answer is used");
            assertEquals(List.of(first.peId()), b.stream().map(ResolvedElement::peId).toList());
            Thread.sleep(900);
            List<ResolvedElement> c = cached.resolveBlocking("client-cache", 0);
            assertNotSame(a, c);
            assertEquals(2, c.size(), "a stale cache entry is refreshed");
        }
    }

    @Test
    void unknownPoolHandleAndUnreachableRegistrarsAreClearErrors() throws Exception {
        ExecutionException unknown = assertThrows(ExecutionException.class,
                () -> user.resolve("client-no-such-pool").toCompletableFuture().get(5, TimeUnit.SECONDS));
        assertInstanceOf(UnknownPoolHandleException.class, unknown.getCause());
        try (PoolUserClient nowhere = PoolUserClient.create(ClientSettings.of(new RegistrarAddress("127.0.0.1", 1)))) {
            assertThrows(NoRegistrarReachableException.class, () -> nowhere.resolveBlocking("x", 0));
            assertFalse(nowhere.reportUnreachable("x", 1));
        }
    }
}
