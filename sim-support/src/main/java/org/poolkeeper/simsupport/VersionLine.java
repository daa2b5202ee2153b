package org.poolkeeper.simsupport;

import org.poolkeeper.protocol.Version;
import picocli.CommandLine;

/**
 * The {@code --version} line of a Poolkeeper command: {@code poolkeeper [TOOL] VERSION}, the tool being the root
 * command's name ({@code poolkeeper loadgen 0.1.0}; the {@code poolkeeper} command itself: {@code poolkeeper 0.1.0}).
 */
public final class VersionLine implements CommandLine.IVersionProvider {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public String[] getVersion() {
        String tool = spec.root().name();
        return new String[] {"poolkeeper " + (tool.equals("poolkeeper") ? "" : tool + " ") + Version.current()};
    }
}
