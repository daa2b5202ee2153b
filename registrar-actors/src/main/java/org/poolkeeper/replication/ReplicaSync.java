package org.poolkeeper.replication;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.poolkeeper.handlespace.PoolHandle;

/**
 * The receiving side of replication on one registrar: applies the other registrars' deltas to its replica in
 * order, notices what it missed, and keeps the replica right through table pulls.
 *
 * <ul>
 *   <li>{@link #receive}: each delta is applied if it is the next one of its pool ({@link ShardReplica#apply}). A
 *   gap, or the first delta of a new writer epoch (the new writer may have started from other state), makes the
 *   pool be pulled from the delta's writer; while that pull runs, further deltas of the pool do not start another.
 *   </li>
 *   <li>{@link #pull}: a table pull of one writer's pools (all of them: join or a writer's overflow; some shards:
 *   audit repair; some pools: resync), applied block by block ({@link #block}) as {@link TablePull} describes.</li>
 *   <li>{@link #writerLeft}, {@link #expire}: pulls whose writer left or stopped answering are given up; what they
 *   held back is applied as it can be.</li>
 * </ul>
 *
 * <p>Not thread-safe: one caller (the registrar's replication inbox). The shards are reached through
 * {@link ShardAccess}. Time ({@code nowNanos}, any monotonic clock) is a parameter.
 */
public final class ReplicaSync {
    /** Most deltas one pull holds back until the states they follow arrive; beyond, their pools are resynced. */
    public static final int MAX_HELD_PER_PULL = 100_000;

    private final ShardAccess access;
    private final Map<Long, TablePull> pulls = new LinkedHashMap<>();
    /** Pools with a resync pull under way, and the writer it asks. */
    private final Map<PoolHandle, Integer> resyncing = new HashMap<>();
    private long nextPullId;

    public ReplicaSync(ShardAccess access) {
        this.access = Objects.requireNonNull(access, "access");
    }

    /** The pulls under way. */
    public Collection<TablePull> pulls() {
        return Collections.unmodifiableCollection(pulls.values());
    }

    public TablePull pullById(long id) {
        return pulls.get(id);
    }

    /**
     * Applies one batch of deltas from a peer, in the order its writers made them.
     *
     * @return the pulls to start (at most one per writer: the pools to resync)
     */
    public List<TablePull> receive(List<Delta> deltas, long nowNanos) {
        Map<Integer, Set<PoolHandle>> toResync = null;
        for (Delta delta : deltas) {
            if (offerToPulls(delta)) {
                continue;
            }
            PoolHandle handle = delta.poolHandle();
            Admission admission = access.apply(access.shardOf(handle), s -> s.apply(delta));
            if (admission == Admission.GAP) {
                if (holdGap(delta)) {
                    continue;
                }
            }
            if (admission.needsResync()) {
                Integer asked = resyncing.get(handle);
                if (asked == null || asked != delta.writer()) {
                    if (toResync == null) {
                        toResync = new HashMap<>();
                    }
                    toResync.computeIfAbsent(delta.writer(), k -> new HashSet<>()).add(handle);
                }
            }
        }
        if (toResync == null) {
            return List.of();
        }
        List<TablePull> started = new ArrayList<>(toResync.size());
        toResync.forEach((writer, handles) -> started.add(pull(writer, Set.of(), handles, nowNanos)));
        return started;
    }

    private boolean offerToPulls(Delta delta) {
        if (pulls.isEmpty()) {
            return false;
        }
        boolean held = false;
        for (TablePull pull : pulls.values()) {
            held |= pull.offer(delta);
        }
        return held;
    }

    private boolean holdGap(Delta delta) {
        for (TablePull pull : pulls.values()) {
            if (pull.writer() == delta.writer() && pull.holdGap(delta)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Starts a pull of {@code writer}'s table: every pool it writes when both scopes are empty, else those of
     * {@code shards} or the pools {@code handles}.
     */
    public TablePull pull(int writer, Set<Integer> shards, Set<PoolHandle> handles, long nowNanos) {
        TablePull pull = new TablePull(++nextPullId, writer, shards, handles, access.numberOfShards(),
                MAX_HELD_PER_PULL, nowNanos);
        pulls.put(pull.id(), pull);
        for (PoolHandle h : handles) {
            resyncing.put(h, writer);
        }
        return pull;
    }

    /** What {@link #block} did. */
    public record Progress(TablePull pull, boolean finished, List<TablePull> started) {
    }

    /**
     * Applies one block of a pull's table.
     *
     * @param last whether the writer said no block follows
     * @return what happened, or {@code null} for a pull that is not (or no longer) under way
     * @throws IllegalArgumentException for a block that does not fit the pull (it is then given up)
     */
    public Progress block(long pullId, List<PoolPart> parts, boolean last, long nowNanos) {
        TablePull pull = pulls.get(pullId);
        if (pull == null) {
            return null;
        }
        Set<PoolHandle> again = new HashSet<>();
        try {
            pull.accept(parts, access, nowNanos, again);
        } catch (IllegalArgumentException e) {
            end(pull);
            pull.abandon(access, again);
            throw e;
        }
        if (last) {
            end(pull);
            pull.finish(access, again);
        }
        return new Progress(pull, last, resyncAgain(pull.writer(), again, nowNanos));
    }

    private void end(TablePull pull) {
        pulls.remove(pull.id());
        for (PoolHandle h : pull.handles()) {
            resyncing.remove(h, pull.writer());
        }
    }

    private List<TablePull> resyncAgain(int writer, Set<PoolHandle> handles, long nowNanos) {
        handles.removeIf(h -> Integer.valueOf(writer).equals(resyncing.get(h)));
        return handles.isEmpty() ? List.of() : List.of(pull(writer, Set.of(), handles, nowNanos));
    }

    /** Gives up one pull (its table could not be read); what it held back is applied as it can be. */
    public void abandon(long pullId) {
        TablePull pull = pulls.get(pullId);
        if (pull != null) {
            end(pull);
            pull.abandon(access, new HashSet<>());
        }
    }

    /** A writer left the cluster: its pulls are given up. */
    public void writerLeft(int writer) {
        List<TablePull> gone = new ArrayList<>();
        for (TablePull pull : pulls.values()) {
            if (pull.writer() == writer) {
                gone.add(pull);
            }
        }
        for (TablePull pull : gone) {
            end(pull);
            pull.abandon(access, new HashSet<>());
        }
    }

    /**
     * Gives up the pulls that made no progress for {@code staleNanos} (their writer restarted or lost the
     * request); the audit repairs what they would have.
     *
     * @return the pulls given up
     */
    public List<TablePull> expire(long nowNanos, long staleNanos) {
        List<TablePull> stale = new ArrayList<>();
        for (Iterator<TablePull> it = pulls.values().iterator(); it.hasNext(); ) {
            TablePull pull = it.next();
            if (nowNanos - pull.progressNanos() > staleNanos) {
                stale.add(pull);
            }
        }
        for (TablePull pull : stale) {
            end(pull);
            pull.abandon(access, new HashSet<>());
        }
        return stale;
    }
}
