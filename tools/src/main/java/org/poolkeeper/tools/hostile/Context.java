package org.poolkeeper.tools.hostile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * What every phase works with: the registrar, the progress line, the run's random source and the attackers' source
 * addresses. Attackers connect from 127.0.0.2 … 127.0.0.(1 + n) (all of 127/8 is loopback on Linux), the legitimate
 * clients from 127.0.0.1: a per-address connection limit then does not decide the floods alone, and it cannot shut
 * out the legitimate clients by the attackers' connections.
 */
final class Context {
    final Registrar registrar;
    final SplittableRandom random;
    private final Consumer<String> say;
    private final InetAddress[] attackers;

    Context(Registrar registrar, long seed, int attackerAddresses, Consumer<String> say) {
        this.registrar = registrar;
        this.random = new SplittableRandom(seed);
        this.say = say;
        this.attackers = new InetAddress[attackerAddresses];
        try {
            for (int i = 0; i < attackerAddresses; i++) {
                attackers[i] = InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (2 + i)});
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    InetSocketAddress asap() {
        return registrar.asap();
    }

    /** The source address of the {@code i}-th attacking connection. */
    InetAddress attacker(int i) {
        return attackers[Math.floorMod(i, attackers.length)];
    }

    /** A well-behaved client connection from 127.0.0.1. */
    FrameConnection legit() throws IOException {
        return FrameConnection.open(asap());
    }

    /** An attacking connection that answers keep-alives (so that its PEs stay) and waited for the announcement. */
    FrameConnection attacker(int i, boolean answerKeepAlives) throws IOException {
        return FrameConnection.open(asap(), attacker(i), answerKeepAlives, 10_000);
    }

    void say(String format, Object... args) {
        say.accept(String.format(Locale.ROOT, format, args));
    }

    byte[] secret(int length) {
        byte[] s = new byte[length];
        random.nextBytes(s);
        return s;
    }
}
