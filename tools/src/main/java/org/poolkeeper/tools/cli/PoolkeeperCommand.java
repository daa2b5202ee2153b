package org.poolkeeper.tools.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.poolkeeper.client.RegistrarAddress;
import org.poolkeeper.protocol.tls.TlsMaterial;
import org.poolkeeper.simsupport.VersionLine;
import org.poolkeeper.tools.ToolCli;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code poolkeeper}: the operator's and developer's command. Every subcommand speaks the client protocol to a
 * registrar; none reads a registrar's files.
 */
@Command(name = "poolkeeper", mixinStandardHelpOptions = true, versionProvider = VersionLine.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Registers, resolves and inspects pools on Poolkeeper registrars.",
        subcommands = {ResolveCommand.class, RegisterCommand.class, DeregisterCommand.class, DumpCommand.class,
                StatusCommand.class, MembersCommand.class, TlsCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
                "0:done",
                "1:a registrar refused the request, could not be reached, or (status) did not all answer",
                "2:invalid arguments"})
public final class PoolkeeperCommand implements Callable<Integer> {
    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;

    /** The environment variable that gives the default of --registrars. */
    static final String REGISTRARS_ENV = "POOLKEEPER_REGISTRARS";
    static final String DEFAULT_REGISTRARS = "127.0.0.1:3863";

    enum Format { table, json }

    @Option(names = {"-r", "--registrars"}, scope = ScopeType.INHERIT, paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "The registrars' client endpoints, tried in order (default: $" + REGISTRARS_ENV
                    + ", else " + DEFAULT_REGISTRARS + ").")
    String registrars;

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "table|json",
            description = "Output format (default: table).")
    Format format = Format.table;

    @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION", converter = Durations.class,
            description = "How long to wait for a registrar to connect or answer (default: 5s).")
    Duration timeout = Duration.ofSeconds(5);

    @Option(names = "--tls-ca", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "Connect with TLS, trusting the registrars' certificates this CA signed (PEM or .p12).")
    java.nio.file.Path tlsCa;

    @Option(names = "--tls-cert", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "This client's certificate for registrars that require one (PEM with --tls-key, or .p12).")
    java.nio.file.Path tlsCert;

    @Option(names = "--tls-key", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "The PEM PKCS#8 private key of --tls-cert.")
    java.nio.file.Path tlsKey;

    @Option(names = "--token", scope = ScopeType.INHERIT, paramLabel = "TOKEN",
            description = "The token to present, for registrars whose authorization rules name clients by token "
                    + "(default: $" + "POOLKEEPER_TOKEN" + ").")
    String token;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private TlsMaterial tls;

    /** The token of --token or $POOLKEEPER_TOKEN, or null. */
    String token() {
        String t = token != null ? token : System.getenv("POOLKEEPER_TOKEN");
        return t == null || t.isEmpty() ? null : t;
    }

    /** The TLS material of --tls-ca/--tls-cert/--tls-key, or null for plaintext. @throws CliException (usage) */
    TlsMaterial tls() {
        if (tls == null) {
            try {
                tls = org.poolkeeper.simsupport.ClientSecurityOptions.load(tlsCa, tlsCert, tlsKey);
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage(), EXIT_USAGE);
            }
        }
        return tls;
    }

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    /** The registrars to talk to, first one first. @throws CliException (usage) if the list is invalid */
    List<RegistrarAddress> registrarList() {
        String text = registrars != null ? registrars : System.getenv(REGISTRARS_ENV);
        if (text == null || text.isBlank()) {
            text = DEFAULT_REGISTRARS;
        }
        try {
            List<RegistrarAddress> list = RegistrarAddress.parseList(text);
            if (list.isEmpty()) {
                throw new IllegalArgumentException("no registrar given");
            }
            return list;
        } catch (IllegalArgumentException e) {
            throw new CliException("--registrars '" + text + "': " + e.getMessage(), EXIT_USAGE);
        }
    }

    /** A connection to the first registrar of the list that accepts one. @throws CliException if none does */
    OperatorConnection connectToAny() {
        List<RegistrarAddress> list = registrarList();
        CliException last = null;
        for (RegistrarAddress r : list) {
            try {
                return OperatorConnection.open(r, timeout, tls(), token());
            } catch (CliException e) {
                last = e;
            }
        }
        throw list.size() == 1 ? last : new CliException("no registrar of " + list + " can be reached (last: "
                + last.getMessage() + ")");
    }

    void printJson(PrintWriter out, Object value) {
        try {
            out.println(JSON.writeValueAsString(value));
            out.flush();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Runs the command line; the exit status. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new PoolkeeperCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        return ToolCli.run("poolkeeper", cli,
                ex -> ex instanceof CliException ? ex.getMessage() : "internal error: " + ex,
                ex -> ex instanceof CliException e ? e.status() : EXIT_FAILED, args);
    }
}
