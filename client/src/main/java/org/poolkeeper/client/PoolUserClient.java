package org.poolkeeper.client;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.poolkeeper.client.internal.ClientSystems;
import org.poolkeeper.client.internal.RegistrarSession;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.EndpointUnreachable;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleResolution;
import org.poolkeeper.protocol.wire.HandleResolutionResponse;
import org.poolkeeper.protocol.wire.PoolElementEntry;

/**
 * The pool user side: resolve a pool handle into pool elements (in the order the pool's policy chose
 * them), optionally from a cache that is trusted for {@link ClientSettings#cacheStaleTimeout()}, and report
 * unreachable pool elements. A request that is not answered in time is tried again (on the next registrar
 * once the connection is lost, or the registrar sent nothing at all for a request timeout and counts as lost).
 *
 * <p>Thread-safe; one instance can serve many threads. Asynchronous methods never block; the
 * {@code *Blocking} conveniences wait and throw the {@link PoolkeeperException} subtypes directly.
 */
public final class PoolUserClient implements AutoCloseable {
    private record CacheEntry(List<ResolvedElement> elements, long fetchedNanos) {
    }

    private final ActorSystem<?> ownedSystem;
    private final ClientSettings settings;
    private final RegistrarSession session;
    private final Map<ByteString, CacheEntry> cache = new ConcurrentHashMap<>();
    private final long staleNanos;

    private PoolUserClient(ActorSystem<?> system, ActorSystem<?> ownedSystem, ClientSettings settings) {
        this.ownedSystem = ownedSystem;
        this.settings = settings;
        this.session = new RegistrarSession(system, settings, new RegistrarSession.Listener() { }, () -> false);
        this.staleNanos = settings.cacheStaleTimeout().toNanos();
    }

    /** A client with its own small actor system (closed by {@link #close()}). */
    public static PoolUserClient create(ClientSettings settings) {
        ActorSystem<?> system = ClientSystems.create("poolkeeper-pool-user");
        return new PoolUserClient(system, system, settings);
    }

    /** A client that runs on the application's actor system. */
    public static PoolUserClient create(ActorSystem<?> system, ClientSettings settings) {
        return new PoolUserClient(system, null, settings);
    }

    /** Resolves with the registrar's MaxHResItems. */
    public CompletionStage<List<ResolvedElement>> resolve(String poolHandle) {
        return resolve(poolHandle, 0);
    }

    /**
     * Resolves a pool handle; {@code maxItems} 0 leaves the count to the registrar (its MaxHResItems).
     * Fails with {@link UnknownPoolHandleException}, {@link RegistrarTimeoutException},
     * {@link NoRegistrarReachableException} or {@link PoolkeeperException}.
     */
    public CompletionStage<List<ResolvedElement>> resolve(String poolHandle, int maxItems) {
        ByteString handle = ByteString.copyFromUtf8(poolHandle);
        if (staleNanos > 0) {
            CacheEntry cached = cache.get(handle);
            if (cached != null && System.nanoTime() - cached.fetchedNanos() < staleNanos) {
                return CompletableFuture.completedFuture(cached.elements());
            }
        }
        CompletableFuture<List<ResolvedElement>> result = new CompletableFuture<>();
        attempt(handle, maxItems, 0, result);
        return result;
    }

    private void attempt(ByteString handle, int maxItems, int tried, CompletableFuture<List<ResolvedElement>> result) {
        session.request(id -> {
            HandleResolution.Builder request = HandleResolution.newBuilder().setRequestId(id).setPoolHandle(handle);
            if (maxItems > 0) {
                request.setMaxItems(maxItems);
            }
            return AsapMessage.newBuilder().setHandleResolution(request).build();
        }).whenComplete((response, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                boolean retry = (cause instanceof RegistrarTimeoutException
                        || cause instanceof RegistrarConnectionLostException)
                        && tried + 1 < session.knownRegistrars().size();
                if (retry) {
                    attempt(handle, maxItems, tried + 1, result);
                } else {
                    result.completeExceptionally(cause);
                }
                return;
            }
            try {
                List<ResolvedElement> elements = toElements(handle, response);
                if (staleNanos > 0) {
                    cache.put(handle, new CacheEntry(elements, System.nanoTime()));
                }
                result.complete(elements);
            } catch (PoolkeeperException e) {
                cache.remove(handle);
                result.completeExceptionally(e);
            }
        });
    }

    private static List<ResolvedElement> toElements(ByteString handle, AsapMessage response) {
        if (response.hasError()) {
            throw new PoolkeeperException("registrar refused the resolution: " + response.getError().getDetail(),
                    response.getError().getCause());
        }
        HandleResolutionResponse resolution = response.getHandleResolutionResponse();
        if (resolution.getCause() == ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE) {
            throw new UnknownPoolHandleException(handle.toString(StandardCharsets.UTF_8));
        }
        if (resolution.getCause() != ErrorCause.ERROR_CAUSE_OK) {
            throw new PoolkeeperException("registrar refused the resolution: " + resolution.getCause(),
                    resolution.getCause());
        }
        Policy policy = Policy.fromCode(resolution.getPolicyType());
        List<ResolvedElement> elements = new ArrayList<>(resolution.getElementsCount());
        for (PoolElementEntry entry : resolution.getElementsList()) {
            elements.add(ResolvedElement.of(entry, policy));
        }
        return List.copyOf(elements);
    }

    /** {@link #resolve(String, int)}, waiting for the answer. @throws PoolkeeperException on failure */
    public List<ResolvedElement> resolveBlocking(String poolHandle, int maxItems) {
        return await(resolve(poolHandle, maxItems));
    }

    /**
     * Tells the registrar that a pool element did not answer; enough reports from pool users make the
     * registrar remove it. The element also leaves this client's cache.
     *
     * @return true if the report was sent
     */
    public boolean reportUnreachable(String poolHandle, int peId) {
        ByteString handle = ByteString.copyFromUtf8(poolHandle);
        CacheEntry cached = cache.get(handle);
        if (cached != null) {
            List<ResolvedElement> rest = cached.elements().stream().filter(e -> e.peId() != peId).toList();
            cache.put(handle, new CacheEntry(rest, cached.fetchedNanos()));
        }
        if (session.currentRegistrar() == null) {
            session.connect();
        }
        return session.sendOneWay(AsapMessage.newBuilder().setEndpointUnreachable(EndpointUnreachable.newBuilder()
                .setPoolHandle(handle).setPeId(peId)).build());
    }

    /** Forgets the cached resolution of a pool handle. */
    public void invalidate(String poolHandle) {
        cache.remove(ByteString.copyFromUtf8(poolHandle));
    }

    /** The registrar currently used, or {@code null} when not connected. */
    public RegistrarAddress currentRegistrar() {
        return session.currentRegistrar();
    }

    /** How often the client moved to another registrar. */
    public long failovers() {
        return session.failovers();
    }

    public ClientSettings settings() {
        return settings;
    }

    @Override
    public void close() {
        session.close();
        if (ownedSystem != null) {
            ownedSystem.terminate();
        }
    }

    static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PoolkeeperException pe) {
                throw pe;
            }
            throw new PoolkeeperException("request failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PoolkeeperException("interrupted while waiting for the registrar", e);
        }
    }
}
