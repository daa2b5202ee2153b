package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A message that reaches a path before the actor there exists must not make later messages to that path vanish.
 * During a registrar's start its peers' presences and deltas reach its replication actors before they run; with
 * Artery's actor-ref compression on, the receiving side counted the missing recipient as a heavy hitter and
 * advertised it, and from the next advertisement on every message to the path was decompressed to the dead
 * reference and dropped. The node settings turn that compression off; this test runs two Artery systems with the
 * node's remoting settings and an advertisement every 500 ms, sends to a path for a few intervals before its actor
 * starts and a few after, and requires the last messages to arrive (with compression on, none of them do).
 */
class LateRecipientTest {
    private ActorSystem sender;
    private ActorSystem receiver;

    private static Config remoting() {
        Config node = ConfigFactory.parseResources(RegistrarServer.class.getClassLoader(),
                RegistrarServer.NODE_CONFIG_RESOURCE);
        return ConfigFactory.parseMap(Map.of(
                        "pekko.actor.provider", "remote",
                        "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                        "pekko.remote.artery.canonical.port", 0,
                        "pekko.remote.artery.advanced.compression.actor-refs.advertisement-interval", "500ms",
                        "pekko.loglevel", "WARNING",
                        "pekko.log-dead-letters", "off"))
                .withFallback(ConfigFactory.empty().withValue("pekko.remote.artery",
                        node.getValue("pekko.remote.artery")))
                .withFallback(ConfigFactory.defaultReference())
                .resolve();
    }

    @AfterEach
    void stop() throws Exception {
        for (ActorSystem system : new ActorSystem[] {sender, receiver}) {
            if (system != null) {
                system.terminate();
                system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Counts down once per message that starts with {@code prefix}. */
    static final class Counter extends AbstractActor {
        private final String prefix;
        private final CountDownLatch latch;

        Counter(String prefix, CountDownLatch latch) {
            this.prefix = prefix;
            this.latch = latch;
        }

        @Override
        public Receive createReceive() {
            return receiveBuilder().match(String.class, m -> {
                if (m.startsWith(prefix)) {
                    latch.countDown();
                }
            }).build();
        }
    }

    @Test
    void messagesToAnActorThatStartedLateStillArriveAfterSeveralAdvertisements() throws Exception {
        Config config = remoting();
        sender = ActorSystem.create("late", config);
        receiver = ActorSystem.create("late", config);
        Address at = ((ExtendedActorSystem) receiver).provider().getDefaultAddress();
        ActorRef remote = ((ExtendedActorSystem) sender).provider().resolveActorRef(at + "/user/replication");

        // before the actor exists, over several advertisement intervals: dead letters on the receiver, as at startup
        long early = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_600);
        for (long n = 0; System.nanoTime() < early; n++) {
            remote.tell("early-" + n, ActorRef.noSender());
            if (n % 20 == 0) {
                Thread.sleep(10);
            }
        }
        CountDownLatch last = new CountDownLatch(100);
        receiver.actorOf(Props.create(Counter.class, () -> new Counter("last-", last)), "replication");

        // traffic across several advertisement intervals, as a registrar's presences and deltas
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (long n = 0; System.nanoTime() < until; n++) {
            remote.tell("steady-" + n, ActorRef.noSender());
            if (n % 50 == 0) {
                Thread.sleep(10);
            }
        }
        for (int i = 0; i < 100; i++) {
            remote.tell("last-" + i, ActorRef.noSender());
        }
        assertTrue(last.await(10, TimeUnit.SECONDS), (100 - last.getCount())
                + " of the 100 messages sent last reached the actor that started after the first messages");
    }
}
