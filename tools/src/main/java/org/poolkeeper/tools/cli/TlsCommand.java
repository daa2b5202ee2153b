package org.poolkeeper.tools.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.poolkeeper.simsupport.VersionLine;
import org.poolkeeper.tools.tls.Certificates;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code poolkeeper tls}: a cluster's own CA and the certificates it signs, as PEM files, for the client port's
 * TLS and for the registrars' cluster connections. Works on files only; talks to no registrar.
 */
@Command(name = "tls", mixinStandardHelpOptions = true, versionProvider = VersionLine.class,
        description = "Creates a CA and the certificates it signs (PEM) for registrars and clients.",
        subcommands = {TlsCommand.Ca.class, TlsCommand.Cert.class})
final class TlsCommand implements Callable<Integer> {
    @ParentCommand
    PoolkeeperCommand top;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return PoolkeeperCommand.EXIT_USAGE;
    }

    /** {@code poolkeeper tls ca}: DIR/ca.pem and DIR/ca-key.pem. */
    @Command(name = "ca", mixinStandardHelpOptions = true, versionProvider = VersionLine.class,
            description = "Creates a CA: DIR/ca.pem (give it to every registrar and client as the trusted CA) and "
                    + "DIR/ca-key.pem (keep it private; it signs the certificates).")
    static final class Ca implements Callable<Integer> {
        @ParentCommand
        TlsCommand tls;

        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Where to write the files.")
        Path dir;

        @Option(names = "--name", paramLabel = "NAME", description = "The CA's CN (default: poolkeeper-ca).")
        String name = "poolkeeper-ca";

        @Option(names = "--valid-for", paramLabel = "DURATION", converter = Durations.class,
                description = "How long it is valid (default: 3650d).")
        Duration validFor = Duration.ofDays(3650);

        @Override
        public Integer call() throws IOException {
            Path cert = dir.resolve("ca.pem");
            Path key = dir.resolve("ca-key.pem");
            refuseOverwrite(cert, key);
            Files.createDirectories(dir);
            Instant now = Instant.now();
            Certificates.write(Certificates.authority(name, now.minusSeconds(60), now.plus(validFor)), cert, key);
            PrintWriter out = tls.top.spec.commandLine().getOut();
            out.println("wrote " + cert + " and " + key);
            out.flush();
            return PoolkeeperCommand.EXIT_OK;
        }
    }

    /** {@code poolkeeper tls cert NAME}: DIR/NAME.pem and DIR/NAME-key.pem, signed by DIR's CA. */
    @Command(name = "cert", mixinStandardHelpOptions = true, versionProvider = VersionLine.class,
            description = "Creates DIR/NAME.pem and DIR/NAME-key.pem signed by DIR/ca.pem: a registrar's (with "
                    + "--san for every address it is reached at) or a client's certificate, CN=NAME.")
    static final class Cert implements Callable<Integer> {
        @ParentCommand
        TlsCommand tls;

        @Parameters(index = "0", paramLabel = "NAME", description = "The certificate's CN and file name.")
        String name;

        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The CA's directory.")
        Path dir;

        @Option(names = "--san", split = ",", paramLabel = "ADDRESS",
                description = "IP addresses and DNS names it is valid for (repeatable or comma-separated).")
        List<String> sans = new ArrayList<>();

        @Option(names = "--valid-for", paramLabel = "DURATION", converter = Durations.class,
                description = "How long it is valid (default: 825d).")
        Duration validFor = Duration.ofDays(825);

        @Override
        public Integer call() throws IOException {
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                throw new CliException("NAME '" + name + "': letters, digits, '.', '_' and '-' only",
                        PoolkeeperCommand.EXIT_USAGE);
            }
            Path caCert = dir.resolve("ca.pem");
            Path caKey = dir.resolve("ca-key.pem");
            if (!Files.isReadable(caCert) || !Files.isReadable(caKey)) {
                throw new CliException("no CA in " + dir + " (run 'poolkeeper tls ca --dir " + dir + "' first)");
            }
            Path cert = dir.resolve(name + ".pem");
            Path key = dir.resolve(name + "-key.pem");
            refuseOverwrite(cert, key);
            Certificates.Issued ca = Certificates.read(caCert, caKey);
            Instant now = Instant.now();
            Certificates.write(Certificates.issue(ca, name, sans, now.minusSeconds(60), now.plus(validFor)), cert,
                    key);
            PrintWriter out = tls.top.spec.commandLine().getOut();
            out.println("wrote " + cert + " and " + key + (sans.isEmpty() ? "" : " (valid for " + String.join(", ",
                    sans) + ")"));
            out.flush();
            return PoolkeeperCommand.EXIT_OK;
        }
    }

    private static void refuseOverwrite(Path... files) {
        for (Path f : files) {
            if (Files.exists(f)) {
                throw new CliException(f + " exists: not overwritten", PoolkeeperCommand.EXIT_FAILED);
            }
        }
    }
}
