package org.poolkeeper.client.internal;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** The small local actor system a client creates when the application does not bring its own. */
public final class ClientSystems {
    private ClientSystems() {
    }

    public static ActorSystem<Void> create(String name) {
        return ActorSystem.create(Behaviors.empty(), name, ConfigFactory.parseString(
                "pekko.actor.provider = local\npekko.loglevel = WARNING\npekko.log-dead-letters = off")
                .withFallback(ConfigFactory.load()));
    }
}
