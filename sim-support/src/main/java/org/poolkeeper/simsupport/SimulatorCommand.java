package org.poolkeeper.simsupport;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import org.poolkeeper.client.RegistrarAddress;
import picocli.CommandLine;

/** What the simulators' command lines share: one-line errors instead of stack traces, and a reachability probe. */
public final class SimulatorCommand {
    private SimulatorCommand() {
    }

    /**
     * Runs a picocli command and exits with its code: bad options print {@code NAME: reason (see --help)} and
     * exit 2, an unexpected failure prints {@code NAME: message} and exits 1.
     */
    public static void run(String name, Object command, String[] args) {
        CommandLine commandLine = new CommandLine(command);
        commandLine.setParameterExceptionHandler((e, a) -> {
            System.err.println(name + ": " + e.getMessage() + " (see --help)");
            return 2;
        });
        commandLine.setExecutionExceptionHandler((e, cl, parsed) -> {
            System.err.println(name + ": " + e.getMessage());
            return 1;
        });
        System.exit(commandLine.execute(args));
    }

    /** Actor system settings for a simulator: warnings only, no dead-letter chatter on stderr's progress lines. */
    public static Config quietConfig() {
        return ConfigFactory.parseString("pekko.loglevel = WARNING\npekko.log-dead-letters = off")
                .withFallback(ConfigFactory.load());
    }

    /** @throws IllegalArgumentException with {@code reason} unless {@code condition} holds */
    public static void require(boolean condition, String reason) {
        if (!condition) {
            throw new IllegalArgumentException(reason);
        }
    }

    /** True if at least one registrar accepts a TCP connection within a second. */
    public static boolean anyReachable(List<RegistrarAddress> registrars) {
        for (RegistrarAddress address : registrars) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(address.host(), address.port()), 1000);
                return true;
            } catch (IOException e) {
                // try the next one
            }
        }
        return false;
    }
}
