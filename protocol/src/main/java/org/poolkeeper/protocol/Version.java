package org.poolkeeper.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The Poolkeeper version this build is, as every tool's {@code --version} and a registrar's status say it. */
public final class Version {
    private static final String CURRENT = load();

    private Version() {
    }

    /** The version, e.g. {@code 0.1.0-SNAPSHOT}. */
    public static String current() {
        return CURRENT;
    }

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream("/poolkeeper/version.properties")) {
            if (in == null) {
                throw new IllegalStateException("poolkeeper/version.properties is missing from the protocol jar");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
