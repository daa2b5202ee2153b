package org.poolkeeper.tools.hostile;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.protocol.wire.TransportAddress;

/**
 * Phase {@code hijack}: another connection must not take over or remove a PE it did not register, unless it presents
 * the owner secret the PE was registered with.
 *
 * <ol>
 *   <li>An owner registers {@code pools × pes} PEs, each with its own 32-byte secret, and answers keep-alives. An
 *       attacker (another connection, from another address) tries for each PE: a deregistration without a secret,
 *       one with a wrong secret, and a re-registration that keeps one of the PE's addresses and adds its own, without
 *       a secret and with a wrong one; then it disconnects. Every attempt must be answered
 *       REJECTED_DUE_TO_SECURITY_CONSIDERATIONS, every PE must still be listed with its original addresses, and the
 *       owner must still get keep-alives for every PE afterwards.
 *   <li>A PE registered without a secret: the same four attempts from another connection, rejected the same way.
 *   <li>Fail-over: another connection presenting the right secret re-registers a PE (its addresses and one more:
 *       a PE id with no address in common is another PE, NON_UNIQUE_PE_IDENTIFIER) and is answered OK, the PE is
 *       listed with the new addresses; then it deregisters it (OK, and gone).
 *   <li>Secret lengths: 15 and 65 bytes are answered INVALID_VALUES (and nothing is registered), 16 and 64 OK.
 * </ol>
 */
final class HijackPhase {
    private final Context ctx;
    private final int pools;
    private final int pesPerPool;

    HijackPhase(Context ctx, int pools, int pesPerPool) {
        this.ctx = ctx;
        this.pools = pools;
        this.pesPerPool = pesPerPool;
    }

    void run(PhaseResult r) throws Exception {
        try (Owner owner = Owner.open(ctx); FrameConnection checker = ctx.legit()) {
            for (int p = 0; p < pools; p++) {
                owner.register(ctx, "hijack-" + p, 0x1000 + p * 0x100, pesPerPool, 32);
            }
            List<Owner.Pe> secured = List.copyOf(owner.pes);
            ctx.say("hijack: %d PEs registered with secrets in %d pools; attacking each 4 ways", secured.size(), pools);
            Tally attacks = new Tally();
            try (FrameConnection attacker = ctx.attacker(0, true)) {
                attack(attacker, secured, attacks);
            }
            long afterAttack = System.nanoTime();
            r.figure("attempts", attacks.attempts);
            r.figure("rejected", attacks.rejected);
            r.detail("answers", attacks.answers.toString());
            r.check(attacks.attempts == attacks.rejected, "%d of %d hijack attempts not answered "
                    + "REJECTED_DUE_TO_SECURITY_CONSIDERATIONS: %s (first: %s)", attacks.attempts - attacks.rejected,
                    attacks.attempts, attacks.answers, Owner.firstOf(attacks.wrong, 3));
            Thread.sleep(1_000); // the attacker's close reached the registrar
            List<String> wrong = owner.wrong(checker, secured);
            r.figure("owner_pes", secured.size());
            r.figure("owner_pes_intact", secured.size() - wrong.size());
            r.check(wrong.isEmpty(), "after the attacks: %s", Owner.firstOf(wrong, 5));

            // a PE registered without a secret is its connection's alone
            List<Owner.Pe> bare = owner.register(ctx, "hijack-nosecret", 0x9000, 1, 0);
            Tally bareAttacks = new Tally();
            try (FrameConnection other = ctx.attacker(1, true)) {
                attack(other, bare, bareAttacks);
            }
            Thread.sleep(500);
            List<String> bareWrong = owner.wrong(checker, bare);
            r.figure("no_secret_rejected", bareAttacks.rejected + "/" + bareAttacks.attempts);
            r.check(bareAttacks.attempts == bareAttacks.rejected, "PE without a secret: %d of %d attempts of another "
                    + "connection not rejected: %s", bareAttacks.attempts - bareAttacks.rejected, bareAttacks.attempts,
                    bareAttacks.answers);
            r.check(bareWrong.isEmpty(), "PE without a secret after another connection's attempts: %s",
                    Owner.firstOf(bareWrong, 3));

            // keep-alives: the registrar still keeps the owner's PEs alive through the owner's connection
            List<String> silent = awaitKeepAlives(owner, secured, afterAttack);
            r.figure("keep_alives_after", (secured.size() - silent.size()) + "/" + secured.size());
            r.check(silent.isEmpty(), "no keep-alive to the owner within 12 s after the attacks for %s",
                    Owner.firstOf(silent, 5));

            failOver(owner, checker, r);
            secretLengths(owner, checker, r);
            r.check(owner.connection.open(), "the registrar closed the owner's connection (%s)",
                    owner.connection.closeReason());
        }
    }

    /** How the attempts of one attacker were answered. */
    private static final class Tally {
        long attempts;
        long rejected;
        final Map<String, Integer> answers = new TreeMap<>();
        final List<String> wrong = new ArrayList<>();
    }

    /** The four attempts on each PE, pipelined, then every answer awaited. */
    private void attack(FrameConnection attacker, List<Owner.Pe> pes, Tally t) throws IOException {
        Map<Long, String> attempts = new LinkedHashMap<>();
        List<AsapMessage> batch = new ArrayList<>();
        for (Owner.Pe pe : pes) {
            List<TransportAddress> hijacked = Messages.addresses(pe.addresses().get(0),
                    Messages.address(66, 6, 6, 666));
            long id = Messages.nextId();
            batch.add(Messages.deregistration(id, pe.pool(), pe.peId(), null));
            attempts.put(id, pe.name() + " deregistration without secret");
            id = Messages.nextId();
            batch.add(Messages.deregistration(id, pe.pool(), pe.peId(), ctx.secret(32)));
            attempts.put(id, pe.name() + " deregistration with a wrong secret");
            id = Messages.nextId();
            batch.add(Messages.registration(id, pe.pool(), pe.peId(), hijacked, Messages.LIFE_MS, null));
            attempts.put(id, pe.name() + " re-registration without secret");
            id = Messages.nextId();
            batch.add(Messages.registration(id, pe.pool(), pe.peId(), hijacked, Messages.LIFE_MS, ctx.secret(32)));
            attempts.put(id, pe.name() + " re-registration with a wrong secret");
        }
        attacker.sendAll(batch);
        for (Map.Entry<Long, String> a : attempts.entrySet()) {
            AsapMessage answer = attacker.await(a.getKey(), 10_000);
            t.attempts++;
            String what = Messages.describe(answer);
            t.answers.merge(what, 1, Integer::sum);
            if (Messages.is(answer, ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS)
                    && !answer.hasError()) {
                t.rejected++;
            } else {
                t.wrong.add(a.getValue() + ": " + what);
            }
        }
    }

    private List<String> awaitKeepAlives(Owner owner, List<Owner.Pe> pes, long sinceNanos)
            throws InterruptedException {
        long deadline = sinceNanos + 12_000_000_000L; // keep-alive interval 5 s, twice, and some slack
        List<String> silent = owner.withoutKeepAliveSince(sinceNanos, pes);
        while (!silent.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
            silent = owner.withoutKeepAliveSince(sinceNanos, pes);
        }
        return silent;
    }

    /** Another connection with the right secret may re-register and deregister the PE: fail-over. */
    private void failOver(Owner owner, FrameConnection checker, PhaseResult r) throws IOException,
            InterruptedException {
        Owner.Pe pe = owner.register(ctx, "hijack-failover", 0xa000, 1, 32).get(0);
        // the same PE, reaching it through another registrar: its addresses, and one more to see the change
        List<TransportAddress> moved = new ArrayList<>(pe.addresses());
        moved.add(Messages.address(3, 3, 3, 3000));
        try (FrameConnection successor = ctx.legit()) {
            long id = Messages.nextId();
            successor.send(Messages.registration(id, pe.pool(), pe.peId(), moved, Messages.LIFE_MS, pe.secret()));
            AsapMessage rereg = successor.await(id, 10_000);
            PoolElementEntry listed = Messages.listed(Owner.resolve(checker, pe.pool())).get(pe.peId());
            id = Messages.nextId();
            successor.send(Messages.deregistration(id, pe.pool(), pe.peId(), pe.secret()));
            AsapMessage dereg = successor.await(id, 10_000);
            Thread.sleep(200);
            boolean gone = !Messages.listed(Owner.resolve(checker, pe.pool())).containsKey(pe.peId());
            r.figure("failover", Messages.describe(rereg) + "/" + Messages.describe(dereg));
            r.check(Messages.is(rereg, ErrorCause.ERROR_CAUSE_OK) && !rereg.hasError(), "fail-over: re-registration "
                    + "with the right secret through another connection answered %s", Messages.describe(rereg));
            r.check(Messages.sameAddresses(listed, moved), "fail-over: after the re-registration the PE is %s",
                    listed == null ? "not listed" : "listed with " + listed.getAddressesCount()
                            + " addresses, not the " + moved.size() + " it re-registered with");
            r.check(Messages.is(dereg, ErrorCause.ERROR_CAUSE_OK) && !dereg.hasError(), "fail-over: deregistration "
                    + "with the right secret through another connection answered %s", Messages.describe(dereg));
            r.check(gone, "fail-over: the PE is still listed after its deregistration with the right secret");
        }
        owner.pes.remove(pe);
    }

    /** 16..64 bytes are a secret; any other non-empty length is INVALID_VALUES and registers nothing. */
    private void secretLengths(Owner owner, FrameConnection checker, PhaseResult r) throws IOException {
        ByteString pool = Messages.handle("hijack-secret-lengths");
        int[] lengths = {15, 16, 64, 65};
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            long id = Messages.nextId();
            owner.connection.send(Messages.registration(id, pool, 0xb000 + i,
                    Messages.addresses(Messages.address(4, 4, i, 4000)), Messages.LIFE_MS, ctx.secret(lengths[i])));
            AsapMessage a = owner.connection.await(id, 10_000);
            answers.add(lengths[i] + ":" + Messages.describe(a));
            boolean valid = lengths[i] >= 16 && lengths[i] <= 64;
            ErrorCause expected = valid ? ErrorCause.ERROR_CAUSE_OK : ErrorCause.ERROR_CAUSE_INVALID_VALUES;
            r.check(Messages.is(a, expected) && !a.hasError(), "a registration with a %d-byte secret answered %s, not "
                    + "%s", lengths[i], Messages.describe(a), Messages.causeName(expected.getNumber()));
        }
        Map<Integer, PoolElementEntry> listed = Messages.listed(Owner.resolve(checker, pool));
        r.check(!listed.containsKey(0xb000) && !listed.containsKey(0xb003), "a registration with an invalid secret "
                + "length left its PE listed");
        r.figure("secret_lengths", String.join(" ", answers));
    }
}
