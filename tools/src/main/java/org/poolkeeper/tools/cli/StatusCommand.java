package org.poolkeeper.tools.cli;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.poolkeeper.client.RegistrarAddress;
import org.poolkeeper.protocol.wire.MemberStatus;
import org.poolkeeper.protocol.wire.RegistrarEndpoint;
import org.poolkeeper.protocol.wire.StatusResponse;
import org.poolkeeper.simsupport.VersionLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code poolkeeper status}: one row per registrar, asked directly; those that do not answer are marked. */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = VersionLine.class,
        description = {"Asks every registrar for its status: the ones given with --registrars and every member "
                + "they know of. One row per registrar: id, client and cluster address, whether it answered, "
                + "ready, members Up in its view, pools, PEs, replica checksum, replication backlog, uptime.",
                "Exits 1 unless every registrar answered."})
final class StatusCommand implements Callable<Integer> {
    @ParentCommand
    PoolkeeperCommand top;

    /** One registrar's row: its answer, or why there is none. */
    private record Node(String endpoint, StatusResponse status, String failure, MemberStatus member) {
    }

    @Override
    public Integer call() {
        Deque<RegistrarAddress> toAsk = new ArrayDeque<>(top.registrarList());
        Set<String> asked = new HashSet<>();
        List<Node> nodes = new ArrayList<>();
        Map<Integer, MemberStatus> members = new TreeMap<>(Integer::compareUnsigned);
        Map<Integer, Set<Integer>> unreachableFrom = new TreeMap<>(Integer::compareUnsigned);
        while (!toAsk.isEmpty()) {
            RegistrarAddress r = toAsk.poll();
            if (!asked.add(r.toString())) {
                continue;
            }
            try {
                StatusResponse s = Status.of(r, top.timeout, top.tls(), top.token());
                nodes.add(new Node(r.toString(), s, null, null));
                for (MemberStatus m : s.getMembersList()) {
                    members.putIfAbsent(m.getRegistrarId(), m);
                    if (!m.getReachable()) {
                        unreachableFrom.computeIfAbsent(m.getRegistrarId(), x -> new HashSet<>())
                                .add(s.getRegistrarId());
                    }
                    if (m.hasClientEndpoint()) {
                        RegistrarEndpoint e = m.getClientEndpoint();
                        toAsk.add(new RegistrarAddress(e.getHost(), e.getPort()));
                    }
                }
            } catch (CliException e) {
                nodes.add(new Node(r.toString(), null, e.getMessage(), null));
            }
        }
        // members the answers name that were not asked (no client endpoint known) and did not answer
        Set<Integer> answered = new HashSet<>();
        for (Node n : nodes) {
            if (n.status != null) {
                answered.add(n.status.getRegistrarId());
            }
        }
        List<Node> rows = new ArrayList<>();
        for (Node n : nodes) {
            if (n.status != null) {
                rows.add(n);
            } else {
                MemberStatus m = memberAt(members, n.endpoint);
                rows.add(new Node(n.endpoint, null, n.failure, m));
            }
        }
        for (MemberStatus m : members.values()) {
            boolean listed = answered.contains(m.getRegistrarId())
                    || rows.stream().anyMatch(n -> n.member != null && n.member.getRegistrarId() == m.getRegistrarId());
            if (!listed && m.getRegistrarId() != 0) {
                rows.add(new Node(m.hasClientEndpoint() ? m.getClientEndpoint().getHost() + ":"
                        + m.getClientEndpoint().getPort() : "", null, "not asked: no client endpoint known", m));
            }
        }
        boolean all = rows.stream().allMatch(n -> n.status != null);
        PrintWriter out = top.spec.commandLine().getOut();
        if (top.format == PoolkeeperCommand.Format.json) {
            List<Object> list = new ArrayList<>();
            for (Node n : rows) {
                list.add(json(n, unreachableFrom));
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("registrars", list);
            json.put("all_answered", all);
            top.printJson(out, json);
        } else {
            Table table = new Table("ID", "CLIENT", "CLUSTER", "ANSWERED", "READY", "MEMBERS", "POOLS", "PES",
                    "CHECKSUM", "BACKLOG", "UPTIME", "NOTE");
            for (Node n : rows) {
                if (n.status != null) {
                    StatusResponse s = n.status;
                    Set<Integer> from = unreachableFrom.get(s.getRegistrarId());
                    table.row(Render.id(s.getRegistrarId()), n.endpoint, host(s.getClusterAddress()), "yes",
                            s.getReady() ? "yes" : "no", upMembers(s), Integer.toUnsignedString(s.getPools()),
                            Integer.toUnsignedString(s.getElements()), Long.toHexString(s.getChecksum()),
                            s.getReplicationBacklog(), Render.span(s.getUptimeMs()),
                            from == null ? "" : "unreachable from " + ids(from));
                } else {
                    MemberStatus m = n.member;
                    table.row(m == null ? "?" : Render.id(m.getRegistrarId()), n.endpoint,
                            m == null ? "" : host(m.getClusterAddress()), "no", "", "", "", "", "", "", "",
                            (m == null ? "" : "member " + m.getStatus()
                                    + (m.getReachable() ? "" : ", unreachable") + "; ") + n.failure);
                }
            }
            table.print(out);
        }
        return all ? PoolkeeperCommand.EXIT_OK : PoolkeeperCommand.EXIT_FAILED;
    }

    /** The member whose client endpoint is {@code endpoint}, or null. */
    private static MemberStatus memberAt(Map<Integer, MemberStatus> members, String endpoint) {
        for (MemberStatus m : members.values()) {
            if (m.hasClientEndpoint() && (m.getClientEndpoint().getHost() + ":" + m.getClientEndpoint().getPort())
                    .equals(endpoint)) {
                return m;
            }
        }
        return null;
    }

    private static long upMembers(StatusResponse s) {
        return s.getMembersList().stream().filter(m -> m.getStatus().equals("Up")).count();
    }

    /** {@code pekko://poolkeeper@127.0.0.1:2552} as {@code 127.0.0.1:2552}. */
    static String host(String clusterAddress) {
        int at = clusterAddress.indexOf('@');
        return at < 0 ? clusterAddress : clusterAddress.substring(at + 1);
    }

    private static String ids(Set<Integer> ids) {
        List<String> list = new ArrayList<>();
        ids.stream().sorted(Integer::compareUnsigned).forEach(id -> list.add(Render.id(id)));
        return String.join(",", list);
    }

    private static Map<String, Object> json(Node n, Map<Integer, Set<Integer>> unreachableFrom) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (n.status != null) {
            StatusResponse s = n.status;
            m.put("registrar_id", Render.id(s.getRegistrarId()));
            m.put("client_endpoint", n.endpoint);
            m.put("cluster_address", host(s.getClusterAddress()));
            m.put("answered", true);
            m.put("ready", s.getReady());
            m.put("members_up", upMembers(s));
            m.put("pools", Integer.toUnsignedLong(s.getPools()));
            m.put("elements", Integer.toUnsignedLong(s.getElements()));
            m.put("checksum", Long.toHexString(s.getChecksum()));
            m.put("replication_backlog", s.getReplicationBacklog());
            m.put("replication_gaps", s.getReplicationGaps());
            m.put("replication_pulls", s.getReplicationPulls());
            m.put("shards", s.getShards());
            m.put("hosted_shards", s.getHostedShards());
            m.put("uptime_ms", s.getUptimeMs());
            m.put("version", s.getVersion());
            Set<Integer> from = unreachableFrom.get(s.getRegistrarId());
            m.put("unreachable_from", from == null ? List.of() : from.stream().sorted(Integer::compareUnsigned)
                    .map(Render::id).toList());
        } else {
            m.put("registrar_id", n.member == null ? null : Render.id(n.member.getRegistrarId()));
            m.put("client_endpoint", n.endpoint);
            m.put("cluster_address", n.member == null ? null : host(n.member.getClusterAddress()));
            m.put("answered", false);
            m.put("member_status", n.member == null ? null : n.member.getStatus());
            m.put("failure", n.failure);
        }
        return m;
    }
}
