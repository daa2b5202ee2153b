package org.poolkeeper.tools.cli;

import com.google.protobuf.ByteString;
import java.io.PrintWriter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.Deregistration;
import org.poolkeeper.protocol.wire.DeregistrationResponse;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.simsupport.VersionLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code poolkeeper deregister POOL PE-ID --secret HEX}: removes a PE, proving ownership with its secret. */
@Command(name = "deregister", mixinStandardHelpOptions = true, versionProvider = VersionLine.class,
        description = {"Removes a pool element through any registrar, with the owner secret its client registered it "
                + "with ('poolkeeper register' prints it).",
                "A client that still holds the PE registers it again at its next re-registration."})
final class DeregisterCommand implements Callable<Integer> {
    @ParentCommand
    PoolkeeperCommand top;

    @Parameters(index = "0", paramLabel = "POOL", description = "The pool handle (UTF-8 text).")
    String pool;

    @Parameters(index = "1", paramLabel = "PE-ID", converter = RegisterCommand.PeIds.class,
            description = "The PE id, decimal or 0x-hex.")
    int peId;

    @Option(names = "--secret", required = true, paramLabel = "HEX",
            description = "The PE's owner secret, in hex (16-64 bytes).")
    String secret;

    @Override
    public Integer call() {
        byte[] secretBytes;
        try {
            secretBytes = HexFormat.of().parseHex(secret.trim());
        } catch (IllegalArgumentException e) {
            throw new CliException("--secret is not hex: " + e.getMessage(), PoolkeeperCommand.EXIT_USAGE);
        }
        if (secretBytes.length < 16 || secretBytes.length > 64) {
            throw new CliException("--secret must be 16-64 bytes (32-128 hex digits), got " + secretBytes.length
                    + " bytes", PoolkeeperCommand.EXIT_USAGE);
        }
        DeregistrationResponse response;
        String via;
        try (OperatorConnection c = top.connectToAny()) {
            via = c.registrar().toString();
            long id = c.nextRequestId();
            AsapMessage answer = c.call(id, AsapMessage.newBuilder().setDeregistration(Deregistration.newBuilder()
                    .setRequestId(id).setPoolHandle(Handles.of(pool)).setPeId(peId)
                    .setOwnerSecret(ByteString.copyFrom(secretBytes))).build());
            if (answer.hasError()) {
                throw new CliException("registrar " + c.registrar() + " refused the deregistration: "
                        + Causes.describe(answer.getError().getCause()));
            }
            response = answer.getDeregistrationResponse();
        }
        if (response.getCause() != ErrorCause.ERROR_CAUSE_OK) {
            throw new CliException("PE " + Render.id(peId) + " of pool '" + pool + "': "
                    + (response.getCause() == ErrorCause.ERROR_CAUSE_INVALID_VALUES
                    ? "no such PE, or invalid values" : Causes.describe(response.getCause())));
        }
        PrintWriter out = top.spec.commandLine().getOut();
        if (top.format == PoolkeeperCommand.Format.json) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("pool", pool);
            json.put("pe_id", Render.id(peId));
            json.put("deregistered", true);
            json.put("registrar", via);
            top.printJson(out, json);
        } else {
            out.println("deregistered PE " + Render.id(peId) + " from pool '" + pool + "' through registrar " + via);
            out.flush();
        }
        return PoolkeeperCommand.EXIT_OK;
    }
}
