package org.poolkeeper.tools.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.poolkeeper.protocol.wire.MemberStatus;
import org.poolkeeper.protocol.wire.StatusResponse;
import org.poolkeeper.simsupport.VersionLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code poolkeeper members}: the cluster's members as one registrar sees them. */
@Command(name = "members", mixinStandardHelpOptions = true, versionProvider = VersionLine.class,
        description = "Lists the cluster's members as the first registrar that answers sees them: registrar id, "
                + "cluster address, member status, reachability, client endpoint.")
final class MembersCommand implements Callable<Integer> {
    @ParentCommand
    PoolkeeperCommand top;

    @Override
    public Integer call() {
        StatusResponse s;
        String from;
        try (OperatorConnection c = top.connectToAny()) {
            s = Status.of(c);
            from = c.registrar().toString();
        }
        PrintWriter out = top.spec.commandLine().getOut();
        if (top.format == PoolkeeperCommand.Format.json) {
            List<Object> list = new ArrayList<>();
            for (MemberStatus m : s.getMembersList()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("registrar_id", m.getRegistrarId() == 0 ? null : Render.id(m.getRegistrarId()));
                j.put("cluster_address", StatusCommand.host(m.getClusterAddress()));
                j.put("status", m.getStatus());
                j.put("reachable", m.getReachable());
                j.put("client_endpoint", m.hasClientEndpoint()
                        ? m.getClientEndpoint().getHost() + ":" + m.getClientEndpoint().getPort() : null);
                list.add(j);
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("seen_by", Render.id(s.getRegistrarId()));
            json.put("seen_by_endpoint", from);
            json.put("members", list);
            top.printJson(out, json);
        } else {
            Table table = new Table("ID", "CLUSTER", "STATUS", "REACHABLE", "CLIENT");
            for (MemberStatus m : s.getMembersList()) {
                table.row(m.getRegistrarId() == 0 ? "-" : Render.id(m.getRegistrarId()),
                        StatusCommand.host(m.getClusterAddress()), m.getStatus(), m.getReachable() ? "yes" : "no",
                        m.hasClientEndpoint()
                                ? m.getClientEndpoint().getHost() + ":" + m.getClientEndpoint().getPort() : "");
            }
            table.print(out);
            out.println("as registrar " + Render.id(s.getRegistrarId()) + " (" + from + ") sees the cluster");
            out.flush();
        }
        return PoolkeeperCommand.EXIT_OK;
    }
}
