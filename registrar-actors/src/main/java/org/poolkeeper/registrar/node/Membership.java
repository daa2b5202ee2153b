package org.poolkeeper.registrar.node;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that reads Pekko Cluster membership as registrars: every registrar node carries the cluster
 * role {@code registrar-<8 hex digits of its registrar id>}, so the members tell the live registrar ids, and each
 * node's replication actors sit at fixed paths under {@code /system}, so a member's address tells where to reach
 * them (no registry to wait for).
 */
public final class Membership {
    private static final String ROLE_PREFIX = "registrar-";
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

    private final ActorSystem<?> system;
    private final Cluster cluster;
    private final int self;

    public Membership(ActorSystem<?> system, int selfRegistrarId) {
        this.system = system;
        this.cluster = Cluster.get(system);
        this.self = selfRegistrarId;
    }

    /** A registrar that is a cluster member. */
    public record Registrar(int id, Address address, MemberStatus status) {
    }

    /** The cluster role that carries a registrar id. */
    public static String role(int registrarId) {
        return String.format(Locale.ROOT, ROLE_PREFIX + "%08x", registrarId);
    }

    /** The registrar id a member's roles carry, or 0 for a member that is no registrar. */
    public static int registrarId(Member member) {
        for (String role : member.getRoles()) {
            int id = registrarId(role);
            if (id != 0) {
                return id;
            }
        }
        return 0;
    }

    /** The registrar id of a role, or 0 if it is not a registrar role. */
    public static int registrarId(String role) {
        if (role.startsWith(ROLE_PREFIX) && role.length() == ROLE_PREFIX.length() + 8) {
            try {
                return (int) Long.parseLong(role.substring(ROLE_PREFIX.length()), 16);
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }

    /** This node's registrar id. */
    public int self() {
        return self;
    }

    public Address selfAddress() {
        return cluster.selfMember().address();
    }

    /** The registrars that are members now (any status but Removed), this one included. */
    public List<Registrar> registrars() {
        List<Registrar> list = new ArrayList<>();
        for (Member m : cluster.state().getMembers()) {
            int id = registrarId(m);
            if (id != 0) {
                list.add(new Registrar(id, m.address(), m.status()));
            }
        }
        return list;
    }

    /** The cluster address of registrar {@code registrarId} while it is a member (any status), else null. */
    public Address addressOf(int registrarId) {
        for (Registrar r : registrars()) {
            if (r.id() == registrarId) {
                return r.address();
            }
        }
        return null;
    }

    /** The other registrars that are Up: the peers replication talks to. */
    public List<Registrar> upPeers() {
        List<Registrar> list = new ArrayList<>();
        for (Registrar r : registrars()) {
            if (r.id() != self && r.status() == MemberStatus.up()) {
                list.add(r);
            }
        }
        return list;
    }

    /**
     * The ids of the registrars that are (about to be) serving: members Joining, WeaklyUp or Up, and this one. A PE
     * homed at any other registrar has lost its home.
     */
    public Set<Integer> liveRegistrars() {
        Set<Integer> ids = new HashSet<>();
        for (Registrar r : registrars()) {
            MemberStatus st = r.status();
            if (st == MemberStatus.up() || st == MemberStatus.joining() || st == MemberStatus.weaklyUp()) {
                ids.add(r.id());
            }
        }
        ids.add(self);
        return ids;
    }

    /** Whether this node is on its way out: shutting down, or no longer Up (leaving, exiting, downed). */
    public boolean shuttingDown() {
        return org.apache.pekko.actor.CoordinatedShutdown.get(system).getShutdownReason().isPresent()
                || cluster.selfMember().status() != MemberStatus.up()
                && cluster.selfMember().status() != MemberStatus.joining()
                && cluster.selfMember().status() != MemberStatus.weaklyUp();
    }

    /**
     * Logs, under this class, each change of another member the operator cares about, one line each: up, leaving,
     * removed and reachable again at INFO, unreachable and downed at WARN. With Pekko's own loggers at WARN, these
     * are the membership story in the registrar's log.
     */
    public void logChanges() {
        Behavior<ClusterEvent.ClusterDomainEvent> log = Behaviors.receive(ClusterEvent.ClusterDomainEvent.class)
                .onMessage(ClusterEvent.ClusterDomainEvent.class, event -> {
                    describe(event);
                    return Behaviors.same();
                }).build();
        ActorRef<ClusterEvent.ClusterDomainEvent> ref = system.systemActorOf(log, "poolkeeper-membership-log",
                Props.empty());
        cluster.subscriptions().tell(Subscribe.create(ref.narrow(), ClusterEvent.MemberEvent.class));
        cluster.subscriptions().tell(Subscribe.create(ref.narrow(), ClusterEvent.ReachabilityEvent.class));
    }

    /**
     * Two members with one registrar id would split the handlespace's ownership silently: the older member downs
     * the newer (and says so), and the newer, seeing an older member with its own id, stops (and says so).
     */
    private void refuseDuplicateId(Member member) {
        if (registrarId(member) != self || member.address().equals(cluster.selfMember().address())) {
            return;
        }
        // this node's own earlier incarnation (restarted elsewhere, not yet removed) is unreachable or on its way
        // out: not a twin
        MemberStatus st = member.status();
        boolean active = st == MemberStatus.up() || st == MemberStatus.joining() || st == MemberStatus.weaklyUp();
        if (!active || cluster.state().getUnreachable().contains(member)) {
            return;
        }
        Address at = member.address();
        String where = at.getHost().orElse("?") + ":" + at.getPort().map(String::valueOf).orElse("?");
        if (member.isOlderThan(cluster.selfMember())) {
            LOG.error("registrar id 0x{} is already the id of the member at {}: this node leaves the cluster and "
                    + "stops; give it a registrar id of its own", String.format(Locale.ROOT, "%08x", self), where);
            org.apache.pekko.actor.CoordinatedShutdown.get(system).runAll(DuplicateId.INSTANCE);
        } else {
            LOG.warn("the node at {} joined with this node's registrar id 0x{}: downing it", where,
                    String.format(Locale.ROOT, "%08x", self));
            cluster.manager().tell(org.apache.pekko.cluster.typed.Down.apply(at));
        }
    }

    /** CoordinatedShutdown's reason when this node found its registrar id taken by an older member. */
    public enum DuplicateId implements org.apache.pekko.actor.CoordinatedShutdown.Reason {
        INSTANCE
    }

    private void describe(ClusterEvent.ClusterDomainEvent event) {
        if (event instanceof ClusterEvent.MemberJoined e) {
            refuseDuplicateId(e.member());
            return;
        }
        if (event instanceof ClusterEvent.MemberUp e) {
            refuseDuplicateId(e.member());
        }
        Member member;
        String what;
        if (event instanceof ClusterEvent.MemberUp e) {
            member = e.member();
            what = "is up";
        } else if (event instanceof ClusterEvent.MemberLeft e) {
            member = e.member();
            what = "is leaving";
        } else if (event instanceof ClusterEvent.MemberDowned e) {
            member = e.member();
            what = "was downed";
        } else if (event instanceof ClusterEvent.MemberRemoved e) {
            member = e.member();
            what = "was removed (it had been " + e.previousStatus().toString().toLowerCase(Locale.ROOT) + ")";
        } else if (event instanceof ClusterEvent.UnreachableMember e) {
            member = e.member();
            what = "is unreachable";
        } else if (event instanceof ClusterEvent.ReachableMember e) {
            member = e.member();
            what = "is reachable again";
        } else {
            return;
        }
        int id = registrarId(member);
        if (id == self || shuttingDown() && event instanceof ClusterEvent.MemberRemoved) {
            return; // this node's own changes (its listening line and shutdown tell them), and its view emptying
        }
        Address at = member.address();
        boolean fault = event instanceof ClusterEvent.UnreachableMember || event instanceof ClusterEvent.MemberDowned;
        String name = id == 0 ? "(no registrar id)" : String.format(Locale.ROOT, "0x%08x", id);
        (fault ? LOG.atWarn() : LOG.atInfo()).log("registrar {} at {}:{} {}", name, at.getHost().orElse("?"),
                at.getPort().map(String::valueOf).orElse("?"), what);
    }

    /** The number of members that are Up. */
    public int upMembers() {
        int n = 0;
        for (Member m : cluster.state().getMembers()) {
            if (m.status() == MemberStatus.up()) {
                n++;
            }
        }
        return n;
    }

    /** The actor at {@code /system/<name>} on the member at {@code address}. */
    public <T> ActorRef<T> actorAt(Address address, String name) {
        return ActorRefResolver.get(system).resolveActorRef(address + "/system/" + name);
    }
}
