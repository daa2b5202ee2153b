package org.poolkeeper.client.internal;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.NoRegistrarReachableException;
import org.poolkeeper.client.RegistrarAddress;
import org.poolkeeper.client.RegistrarConnectionLostException;
import org.poolkeeper.client.RegistrarTimeoutException;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.EndpointKeepAlive;
import org.poolkeeper.protocol.wire.RegistrarEndpoint;

/**
 * A client's link to "a registrar": one connection at a time, requests matched to responses by request
 * id, a timeout per request, and fail-over to the next known registrar when the connection is lost or the
 * registrar sent nothing at all for half the request timeout while a request waits (a registrar that is alive
 * but slow with one request keeps the connection: it answers others, or repeats its announcement). Requests the
 * lost connection carried are sent again to the next registrar within their own deadline. Registrars named in ServerAnnounce messages join the
 * list. Thread-safe.
 */
public final class RegistrarSession implements AutoCloseable {
    /** What the owner of a session hears about. Called on stream or scheduler threads. */
    public interface Listener {
        default void onConnected(RegistrarAddress registrar) {
        }

        default void onDisconnected(RegistrarAddress registrar) {
        }

        default void onKeepAlive(EndpointKeepAlive keepAlive) {
        }
    }

    private record Pending(CompletableFuture<AsapMessage> future, long deadlineNanos, RegistrarConnection connection,
                           AsapMessage message) {
    }

    private final ActorSystem<?> system;
    private final ClientSettings settings;
    private final Listener listener;
    private final java.util.function.BooleanSupplier reconnectOnLoss;
    private final List<RegistrarAddress> registrars;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextRequestId = new AtomicLong();
    private final AtomicLong failovers = new AtomicLong();
    private final Cancellable sweeper;
    private final Object lock = new Object();

    private volatile RegistrarConnection connection;
    private CompletableFuture<RegistrarConnection> connecting; // guarded by lock
    private int nextIndex; // guarded by lock
    private boolean everConnected; // guarded by lock
    private volatile boolean closed;

    /**
     * @param reconnectOnLoss whether to reconnect at once when the connection is lost (pool elements must stay
     *                        registered); otherwise the next request reconnects (pool users, and a pool element
     *                        client with nothing registered: a registrar closes a connection that sends nothing)
     */
    public RegistrarSession(ActorSystem<?> system, ClientSettings settings, Listener listener,
                            java.util.function.BooleanSupplier reconnectOnLoss) {
        this.system = system;
        this.settings = settings;
        this.listener = listener;
        this.reconnectOnLoss = reconnectOnLoss;
        this.registrars = new CopyOnWriteArrayList<>(settings.registrars());
        Duration sweep = Duration.ofMillis(Math.max(10, Math.min(100, settings.requestTimeout().toMillis() / 4)));
        this.sweeper = system.scheduler().scheduleWithFixedDelay(sweep, sweep, this::expireRequests,
                system.executionContext());
    }

    /** The registrar currently connected, or {@code null}. */
    public RegistrarAddress currentRegistrar() {
        RegistrarConnection c = connection;
        return c == null || !c.isOpen() ? null : c.address();
    }

    /** How often the session moved to another registrar after losing one. */
    public long failovers() {
        return failovers.get();
    }

    public List<RegistrarAddress> knownRegistrars() {
        return List.copyOf(registrars);
    }

    /**
     * Sends the message {@code build} makes for a fresh request id and completes with the response carrying
     * that id (or fails: {@link RegistrarTimeoutException}, {@link RegistrarConnectionLostException},
     * {@link NoRegistrarReachableException}).
     */
    public CompletionStage<AsapMessage> request(LongFunction<AsapMessage> build) {
        long id = nextRequestId.incrementAndGet();
        AsapMessage message = build.apply(id);
        CompletableFuture<AsapMessage> future = new CompletableFuture<>();
        RegistrarConnection c = connection;
        long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
        if (c != null && c.isOpen()) {
            send(c, id, message, future, deadline);
        } else {
            sendWhenConnected(id, message, future, deadline);
        }
        return future;
    }

    private void sendWhenConnected(long id, AsapMessage message, CompletableFuture<AsapMessage> future,
                                   long deadline) {
        connect().whenComplete((connected, error) -> {
            if (error != null) {
                future.completeExceptionally(unwrap(error));
            } else {
                send(connected, id, message, future, deadline);
            }
        });
    }

    private void send(RegistrarConnection c, long id, AsapMessage message, CompletableFuture<AsapMessage> future,
                      long deadline) {
        pending.put(id, new Pending(future, deadline, c, message));
        if (!c.send(message)) {
            if (pending.remove(id) == null) {
                return; // the connection's loss took it over already (onClosed sends it again)
            }
            if (!c.isOpen() && !closed && System.nanoTime() - deadline < 0) {
                sendWhenConnected(id, message, future, deadline); // it closed just now: the next registrar
            } else {
                future.completeExceptionally(new RegistrarConnectionLostException(
                        "could not send to registrar " + c.address() + " (connection closed or send buffer full)"));
            }
        }
    }

    /** Sends a message that has no response (acks, reports) on the current connection, if there is one. */
    public boolean sendOneWay(AsapMessage message) {
        RegistrarConnection c = connection;
        return c != null && c.send(message);
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
    }

    /**
     * Why a connect failed, in the words of the socket layer ("Connection refused") rather than of the stream
     * stage that reports it ("Tcp command [Connect(...)] failed because of java.net.ConnectException: ...").
     */
    static String reason(Throwable error) {
        if (error == null) {
            return null;
        }
        for (Throwable c = error; c != null; c = c.getCause()) {
            if (c instanceof java.net.SocketException || c instanceof java.net.UnknownHostException) {
                return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
            }
        }
        String message = error.getMessage();
        if (message == null || message.isBlank()) {
            return error.getClass().getSimpleName();
        }
        int because = message.lastIndexOf(" failed because of ");
        if (because >= 0) {
            message = message.substring(because + " failed because of ".length());
            int colon = message.indexOf(": ");
            if (colon > 0 && message.substring(0, colon).matches("[\\w.$]+(Exception|Error)")) {
                message = message.substring(colon + 2);
            }
        }
        return message;
    }

    /** Connects to the next registrar that answers, trying each known one once per round. */
    public CompletionStage<RegistrarConnection> connect() {
        synchronized (lock) {
            RegistrarConnection c = connection;
            if (c != null && c.isOpen()) {
                return CompletableFuture.completedFuture(c);
            }
            if (closed) {
                return CompletableFuture.failedFuture(new NoRegistrarReachableException("the client is closed"));
            }
            CompletableFuture<RegistrarConnection> result = connecting;
            if (result == null) {
                // attempt() may finish inline (and clear the field) when the connect completes at once
                result = new CompletableFuture<>();
                connecting = result;
                attempt(0, result, null);
            }
            return result;
        }
    }

    private void attempt(int tried, CompletableFuture<RegistrarConnection> result, Throwable lastError) {
        RegistrarAddress address;
        synchronized (lock) {
            if (tried >= registrars.size() || closed) {
                if (connecting == result) {
                    connecting = null;
                }
                String last = reason(unwrap(lastError));
                result.completeExceptionally(new NoRegistrarReachableException(
                        "no registrar reachable (tried " + registrars + ")" + (last == null ? "" : "; last: " + last)));
                return;
            }
            address = registrars.get(Math.floorMod(nextIndex++, registrars.size()));
        }
        RegistrarConnection.open(system, address, settings.connectTimeout(), settings.maxFrameLength(),
                settings.sendBuffer(), settings.tls(), settings.requestTimeout(), settings.token(), this::onMessage,
                this::onClosed).whenComplete((c, error) -> {
                    if (error != null) {
                        attempt(tried + 1, result, error);
                        return;
                    }
                    boolean failover;
                    synchronized (lock) {
                        if (closed) {
                            c.close();
                        }
                        connection = c;
                        if (connecting == result) {
                            connecting = null;
                        }
                        failover = everConnected;
                        everConnected = true;
                    }
                    if (failover) {
                        failovers.incrementAndGet();
                    }
                    result.complete(c);
                    listener.onConnected(address);
                });
    }

    private void onClosed(RegistrarConnection c) {
        boolean wasCurrent;
        synchronized (lock) {
            wasCurrent = connection == c;
            if (wasCurrent) {
                connection = null;
            }
        }
        RegistrarConnectionLostException lost =
                new RegistrarConnectionLostException("connection to registrar " + c.address() + " lost");
        // the requests the lost connection carried go to the next registrar within their own deadline (every
        // request is idempotent: a registration twice is a re-registration), so that a registrar's death costs a
        // client no failed request
        long now = System.nanoTime();
        List<Map.Entry<Long, Pending>> resend = new java.util.ArrayList<>();
        pending.entrySet().removeIf(entry -> {
            if (entry.getValue().connection() == c) {
                if (!closed && now - entry.getValue().deadlineNanos() < 0) {
                    resend.add(entry);
                } else {
                    entry.getValue().future().completeExceptionally(lost);
                }
                return true;
            }
            return false;
        });
        for (Map.Entry<Long, Pending> e : resend) {
            sendWhenConnected(e.getKey(), e.getValue().message(), e.getValue().future(), e.getValue().deadlineNanos());
        }
        if (wasCurrent && !closed) {
            listener.onDisconnected(c.address());
            if (reconnectOnLoss.getAsBoolean()) {
                reconnect(Duration.ZERO);
            }
        }
    }

    private void reconnect(Duration delay) {
        Runnable task = () -> connect().whenComplete((c, error) -> {
            if (error != null && !closed) {
                reconnect(settings.reconnectBackoff());
            }
        });
        if (delay.isZero()) {
            task.run();
        } else {
            system.scheduler().scheduleOnce(delay, task, system.executionContext());
        }
    }

    private void onMessage(AsapMessage message) {
        long requestId;
        switch (message.getBodyCase()) {
            case REGISTRATION_RESPONSE -> requestId = message.getRegistrationResponse().getRequestId();
            case DEREGISTRATION_RESPONSE -> requestId = message.getDeregistrationResponse().getRequestId();
            case HANDLE_RESOLUTION_RESPONSE -> requestId = message.getHandleResolutionResponse().getRequestId();
            case ERROR -> requestId = message.getError().getRequestId();
            case ENDPOINT_KEEP_ALIVE -> {
                listener.onKeepAlive(message.getEndpointKeepAlive());
                return;
            }
            case SERVER_ANNOUNCE -> {
                learn(message.getServerAnnounce().getRegistrarsList());
                return;
            }
            default -> {
                return; // nothing a client needs to act on
            }
        }
        Pending p = pending.remove(requestId);
        if (p != null) {
            p.future().complete(message);
        }
    }

    /**
     * At most this many registrars are known (those configured first, then those announced): a registrar cannot
     * make a client hold, or try in turn, an unbounded list.
     */
    static final int MAX_KNOWN_REGISTRARS = 64;

    private void learn(List<RegistrarEndpoint> endpoints) {
        for (RegistrarEndpoint endpoint : endpoints) {
            try {
                RegistrarAddress address = new RegistrarAddress(endpoint.getHost(), endpoint.getPort());
                if (registrars.size() >= MAX_KNOWN_REGISTRARS) {
                    return;
                }
                if (!registrars.contains(address)) {
                    registrars.add(address);
                }
            } catch (IllegalArgumentException e) {
                // an unusable announcement is ignored; the known registrars still work
            }
        }
    }

    private void expireRequests() {
        long now = System.nanoTime();
        long timeout = settings.requestTimeout().toNanos();
        RegistrarConnection silent = null;
        for (Pending p : pending.values()) {
            // a registrar that sent nothing at all for half the request timeout while a request waits counts as
            // lost (stopped, partitioned away, its host gone): fail over while the request still has time, so that
            // the next registrar answers it (the lost connection's requests are sent again, see onClosed). A
            // registrar that is alive says so while it makes a request wait (it repeats its ServerAnnounce), and
            // one that answers other requests meanwhile is alive too: closing its connection would make it drop
            // every PE registered through it.
            long sentNanos = p.deadlineNanos() - timeout;
            RegistrarConnection c = p.connection();
            long heard = Math.max(sentNanos, c.lastReceivedNanos());
            if (c == connection && now - heard >= timeout / 2 && now - p.deadlineNanos() < 0) {
                silent = c;
                break;
            }
        }
        if (silent != null) {
            silent.close();
        }
        pending.entrySet().removeIf(entry -> {
            Pending p = entry.getValue();
            if (now - p.deadlineNanos() < 0) {
                return false;
            }
            p.future().completeExceptionally(new RegistrarTimeoutException(
                    "registrar " + p.connection().address() + " did not answer within " + settings.requestTimeout()));
            return true;
        });
    }

    @Override
    public void close() {
        closed = true;
        sweeper.cancel();
        RegistrarConnection c = connection;
        if (c != null) {
            c.close();
        }
    }
}
