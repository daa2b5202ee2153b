package org.poolkeeper.registrar;

import org.poolkeeper.protocol.Version;
import picocli.CommandLine;

/** The {@code --version} line of the registrar's commands: {@code poolkeeper TOOL VERSION}. */
public final class VersionLine implements CommandLine.IVersionProvider {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public String[] getVersion() {
        return new String[] {"poolkeeper " + spec.root().name() + " " + Version.current()};
    }
}
