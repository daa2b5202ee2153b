package org.poolkeeper.tools.cli;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import picocli.CommandLine;

/** Durations as the registrar's configuration writes them: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}. */
final class Durations implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            Duration d = ConfigFactory.empty().withValue("d", ConfigValueFactory.fromAnyRef(value.trim()))
                    .getDuration("d");
            if (d.isNegative()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is negative");
            }
            return d;
        } catch (ConfigException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 500ms, 30s, 2m)");
        }
    }

    /** As the option takes it: {@code 1.5s}, {@code 250ms}, {@code 2m}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0 && ms >= 60_000) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms < 1000 ? ms + "ms" : String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
    }
}
