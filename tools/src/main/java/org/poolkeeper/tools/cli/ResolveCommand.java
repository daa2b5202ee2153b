package org.poolkeeper.tools.cli;

import com.google.protobuf.ByteString;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleResolution;
import org.poolkeeper.protocol.wire.HandleResolutionResponse;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.simsupport.VersionLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code poolkeeper resolve POOL}: the PEs a pool user would get, in the policy's order. */
@Command(name = "resolve", mixinStandardHelpOptions = true, versionProvider = VersionLine.class,
        description = "Resolves a pool handle: the pool elements a pool user gets now, in selection order.")
final class ResolveCommand implements Callable<Integer> {
    @ParentCommand
    PoolkeeperCommand top;

    @Parameters(index = "0", paramLabel = "POOL", description = "The pool handle (UTF-8 text).")
    String pool;

    @Option(names = {"-n", "--max"}, paramLabel = "N",
            description = "At most N elements (default: as many as the registrar gives, its MaxHResItems).")
    Integer max;

    @Override
    public Integer call() {
        if (max != null && max < 1) {
            throw new CliException("--max must be at least 1, got " + max, PoolkeeperCommand.EXIT_USAGE);
        }
        ByteString handle = Handles.of(pool);
        HandleResolutionResponse response;
        try (OperatorConnection c = top.connectToAny()) {
            long id = c.nextRequestId();
            HandleResolution.Builder request = HandleResolution.newBuilder().setRequestId(id).setPoolHandle(handle);
            if (max != null) {
                request.setMaxItems(max);
            }
            AsapMessage answer = c.call(id, AsapMessage.newBuilder().setHandleResolution(request).build());
            if (answer.hasError()) {
                throw new CliException("registrar " + c.registrar() + " refused the resolution: "
                        + Causes.describe(answer.getError().getCause()));
            }
            response = answer.getHandleResolutionResponse();
        }
        if (response.getCause() != ErrorCause.ERROR_CAUSE_OK) {
            throw new CliException("pool '" + pool + "': " + Causes.describe(response.getCause()));
        }
        PrintWriter out = top.spec.commandLine().getOut();
        if (top.format == PoolkeeperCommand.Format.json) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("pool", pool);
            json.put("policy", Render.policy(response.getPolicyType()));
            List<Object> elements = new ArrayList<>();
            for (PoolElementEntry e : response.getElementsList()) {
                elements.add(Render.element(e, 0));
            }
            json.put("elements", elements);
            top.printJson(out, json);
        } else {
            Table table = new Table("PE", "ADDRESSES", "POLICY", "POLICY INFO", "HOME REGISTRAR");
            for (PoolElementEntry e : response.getElementsList()) {
                table.row(Render.id(e.getPeId()), Render.addresses(e.getAddressesList()),
                        Render.policy(e.getPolicy().getPolicyType()), Render.policyInfo(e.getPolicy()),
                        Render.id(e.getHomeRegistrarId()));
            }
            table.print(out);
        }
        return PoolkeeperCommand.EXIT_OK;
    }
}
