package org.poolkeeper.client;

import com.google.protobuf.ByteString;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.poolkeeper.client.internal.ClientSystems;
import org.poolkeeper.client.internal.RegistrarSession;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.Deregistration;
import org.poolkeeper.protocol.wire.EndpointKeepAlive;
import org.poolkeeper.protocol.wire.EndpointKeepAliveAck;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.PolicyInfo;
import org.poolkeeper.protocol.wire.Registration;
import org.poolkeeper.protocol.wire.TransportAddress;
import org.poolkeeper.protocol.wire.TransportKind;

/**
 * The pool element side: registers pool elements over one registrar connection, re-registers them (every
 * life/3 by default) with the current load or weight, answers the registrar's keep-alives, and when the
 * connection is lost fails over to the next registrar (from its list, or learned from ServerAnnounce) and
 * re-registers every pool element with the same PE identifier. {@link #close()} deregisters them.
 *
 * <p>Several pool elements may share one client (and so one connection). Thread-safe.
 */
public final class PoolElementClient implements AutoCloseable {
    private final ActorSystem<?> system;
    private final ActorSystem<?> ownedSystem;
    private final RegistrarSession session;
    private final Map<Key, PoolElementRegistration> registrations = new ConcurrentHashMap<>();
    /**
     * This client's secret key: each PE's owner secret is derived from it, its pool handle and PE id, so that a PE
     * registered again by this client (a retry, a fail-over to another registrar) proves it owns the PE.
     */
    private final byte[] ownerKey = new byte[32];

    /** A registration's identity: its pool handle and PE id. */
    private record Key(String poolHandle, int peId) {
    }

    private PoolElementClient(ActorSystem<?> system, ActorSystem<?> ownedSystem, ClientSettings settings) {
        this.system = system;
        this.ownedSystem = ownedSystem;
        new SecureRandom().nextBytes(ownerKey);
        this.session = new RegistrarSession(system, settings, new RegistrarSession.Listener() {
            @Override
            public void onConnected(RegistrarAddress registrar) {
                reregisterAll();
            }

            @Override
            public void onKeepAlive(EndpointKeepAlive keepAlive) {
                answer(keepAlive);
            }
        }, () -> !registrations.isEmpty());
    }

    /** A client with its own small actor system (closed by {@link #close()}). */
    public static PoolElementClient create(ClientSettings settings) {
        ActorSystem<?> system = ClientSystems.create("poolkeeper-pool-element");
        return new PoolElementClient(system, system, settings);
    }

    /** A client that runs on the application's actor system. */
    public static PoolElementClient create(ActorSystem<?> system, ClientSettings settings) {
        return new PoolElementClient(system, null, settings);
    }

    private static Key key(String poolHandle, int peId) {
        return new Key(poolHandle, peId);
    }

    /** The owner secret of a PE of this client: SHA-256 of the client's key, the pool handle and the PE id. */
    ByteString ownerSecret(String poolHandle, int peId) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(ownerKey);
            digest.update(poolHandle.getBytes(StandardCharsets.UTF_8));
            digest.update(ByteBuffer.allocate(4).putInt(peId).array());
            return ByteString.copyFrom(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * Registers a pool element and keeps it registered. Fails with {@link PoolkeeperException} (the registrar's
     * cause, e.g. inconsistent pooling policy) or {@link NoRegistrarReachableException}.
     */
    public CompletionStage<PoolElementRegistration> register(PoolElementSpec spec) {
        int peId = spec.peId();
        while (peId == 0) {
            peId = ThreadLocalRandom.current().nextInt();
        }
        PoolElementRegistration registration = new PoolElementRegistration(this, spec, peId,
                ownerSecret(spec.poolHandle(), peId));
        return send(registration, false).thenApply(ok -> {
            registrations.put(key(spec.poolHandle(), registration.peId()), registration);
            if (spec.autoReregister()) {
                long every = spec.effectiveReregistrationInterval().toMillis();
                registration.timer = system.scheduler().scheduleWithFixedDelay(
                        java.time.Duration.ofMillis(every), java.time.Duration.ofMillis(every),
                        () -> {
                            if (registration.active) {
                                send(registration, true);
                            }
                        }, system.executionContext());
            }
            return registration;
        });
    }

    /** {@link #register}, waiting for the registrar's answer. @throws PoolkeeperException on failure */
    public PoolElementRegistration registerBlocking(PoolElementSpec spec) {
        return PoolUserClient.await(register(spec));
    }

    CompletionStage<Void> send(PoolElementRegistration registration, boolean reregistration) {
        PoolElementSpec spec = registration.spec();
        return session.request(id -> AsapMessage.newBuilder().setRegistration(Registration.newBuilder()
                .setRequestId(id)
                .setPoolHandle(ByteString.copyFromUtf8(spec.poolHandle()))
                .setPeId(registration.peId())
                .setPolicy(PolicyInfo.newBuilder()
                        .setPolicyType(spec.policy().code())
                        .setLoad(spec.load().getAsInt())
                        .setWeight(spec.weight().getAsInt())
                        .setPriority(spec.priority())
                        .setLoadDegradation(spec.loadDegradation()))
                .addAllAddresses(addresses(spec.addresses()))
                .setRegistrationLifeMs((int) spec.registrationLife().toMillis())
                .setOwnerSecret(registration.ownerSecret())).build())
                .thenApply(response -> {
                    ErrorCause cause = response.hasError() ? response.getError().getCause()
                            : response.getRegistrationResponse().getCause();
                    if (cause != ErrorCause.ERROR_CAUSE_OK) {
                        throw new CompletionException(new PoolkeeperException("registration of PE "
                                + Integer.toUnsignedString(registration.peId(), 16) + " in pool '"
                                + spec.poolHandle() + "' refused: " + cause, cause));
                    }
                    if (reregistration) {
                        registration.countReregistration();
                    }
                    return null;
                });
    }

    private static List<TransportAddress> addresses(List<InetSocketAddress> addresses) {
        return addresses.stream().map(a -> TransportAddress.newBuilder()
                .setAddress(ByteString.copyFrom(a.getAddress().getAddress()))
                .setPort(a.getPort())
                .setKind(TransportKind.TRANSPORT_KIND_TCP)
                .build()).toList();
    }

    private void answer(EndpointKeepAlive keepAlive) {
        PoolElementRegistration registration =
                registrations.get(key(keepAlive.getPoolHandle().toStringUtf8(), keepAlive.getPeId()));
        if (registration != null && registration.active) {
            session.sendOneWay(AsapMessage.newBuilder().setEndpointKeepAliveAck(EndpointKeepAliveAck.newBuilder()
                    .setRequestId(keepAlive.getRequestId())
                    .setPoolHandle(keepAlive.getPoolHandle())
                    .setPeId(keepAlive.getPeId())).build());
        }
    }

    /** After a fail-over: the new registrar learns every active pool element again, same identifiers. */
    private void reregisterAll() {
        for (PoolElementRegistration registration : registrations.values()) {
            if (registration.active) {
                send(registration, true);
            }
        }
    }

    CompletionStage<Void> deregister(PoolElementRegistration registration) {
        stop(registration);
        return session.request(id -> AsapMessage.newBuilder().setDeregistration(Deregistration.newBuilder()
                .setRequestId(id)
                .setPoolHandle(ByteString.copyFromUtf8(registration.poolHandle()))
                .setPeId(registration.peId())
                .setOwnerSecret(registration.ownerSecret())).build()).thenApply(response -> null);
    }

    void abandon(PoolElementRegistration registration) {
        stop(registration);
    }

    private void stop(PoolElementRegistration registration) {
        registration.active = false;
        if (registration.timer != null) {
            registration.timer.cancel();
        }
        registrations.remove(key(registration.poolHandle(), registration.peId()));
    }

    /** The registrar currently connected, or {@code null}. */
    public RegistrarAddress currentRegistrar() {
        return session.currentRegistrar();
    }

    /** How often the client moved to another registrar after losing one. */
    public long failovers() {
        return session.failovers();
    }

    /** The pool elements this client keeps registered. */
    public int activeRegistrations() {
        return registrations.size();
    }

    /** Deregisters every pool element (waiting up to 2 s in all), then closes the connection. */
    @Override
    public void close() {
        CompletableFuture<?>[] pending = registrations.values().stream()
                .map(r -> deregister(r).toCompletableFuture().exceptionally(e -> null))
                .toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(pending).get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort: the registrar removes what is left when the connection closes
        }
        session.close();
        if (ownedSystem != null) {
            ownedSystem.terminate();
        }
    }
}
