package org.poolkeeper.registrar.replication;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.poolkeeper.protocol.wire.RegistrarEndpoint;

/**
 * The client (ASAP) endpoints of the other live registrars, learned from their Presence: what a new client
 * connection's ServerAnnounce lists besides this registrar, so that clients can fail over. Thread-safe.
 */
public final class PeerEndpoints {
    /** The most peers a ServerAnnounce lists. */
    public static final int MAX_ANNOUNCED = 64;

    private final Map<Integer, RegistrarEndpoint> endpoints = new ConcurrentHashMap<>();

    void put(int registrarId, String host, int port) {
        if (endpoints.size() < MAX_ANNOUNCED || endpoints.containsKey(registrarId)) {
            endpoints.put(registrarId, RegistrarEndpoint.newBuilder().setRegistrarId(registrarId).setHost(host)
                    .setPort(port).build());
        }
    }

    void remove(int registrarId) {
        endpoints.remove(registrarId);
    }

    void retainAll(java.util.Set<Integer> live) {
        endpoints.keySet().retainAll(live);
    }

    /** The endpoints known now. */
    public List<RegistrarEndpoint> all() {
        return List.copyOf(endpoints.values());
    }
}
