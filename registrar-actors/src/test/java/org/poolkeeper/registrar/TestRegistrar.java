package org.poolkeeper.registrar;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/** A registrar node inside the test JVM, started through {@link RegistrarServer} on free loopback ports. */
final class TestRegistrar implements AutoCloseable {
    final ActorTestKit testKit;
    final RegistrarServer.Started started;

    private TestRegistrar(ActorTestKit testKit, RegistrarServer.Started started) {
        this.testKit = testKit;
        this.started = started;
    }

    /** Starts a node with {@code hocon} overlaying the test defaults (free ports, registrar id 0x7e57). */
    static TestRegistrar start(String hocon) throws Exception {
        Config overrides = ConfigFactory.parseString(hocon).withFallback(ConfigFactory.parseString("""
                poolkeeper.registrar {
                  registrar-id = 0x7e57
                  host = "127.0.0.1"
                  asap-port = 0
                  cluster-port = 0
                }
                pekko.cluster.jmx.enabled = off
                pekko.coordinated-shutdown.phases.cluster-exiting.timeout = 2 s
                pekko.coordinated-shutdown.phases.cluster-leave.timeout = 2 s
                """));
        Config config = RegistrarServer.loadConfig(overrides, null);
        ActorTestKit testKit = ActorTestKit.create(RegistrarServer.SYSTEM_NAME, config);
        try {
            RegistrarServer.Started started =
                    RegistrarServer.start(testKit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
            return new TestRegistrar(testKit, started);
        } catch (Exception e) {
            testKit.shutdownTestKit();
            throw e;
        }
    }

    InetSocketAddress asap() {
        return new InetSocketAddress("127.0.0.1", started.asapAddress().getPort());
    }

    /** When the PE was first registered, as this node's replica holds it (-1 if it holds no such PE). */
    long registeredAt(org.poolkeeper.handlespace.PoolHandle handle, int peId) {
        return started.replica().apply(started.replica().shardOf(handle), s -> {
            org.poolkeeper.handlespace.PoolElement e = s.find(handle, peId);
            return e == null ? -1L : e.registeredAt();
        });
    }

    TestClient client() throws Exception {
        TestClient client = TestClient.connect(asap());
        return client;
    }

    /** Polls until the condition holds; fails after the timeout. */
    static void eventually(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        testKit.shutdownTestKit();
    }
}
