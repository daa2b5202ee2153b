package org.poolkeeper.registrar.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may do what on which pools ({@code poolkeeper.registrar.authorization}). A rule names its clients — by the
 * subject of their TLS client certificate ({@code identity}), by the SHA-256 of a token they send in an
 * Authenticate message ({@code token-sha256}), or everyone ({@code identity = "*"}, anonymous clients too) — and
 * allows them operations on pools whose handles match one of its patterns ({@code *} matches any run of
 * characters). A connection may do what any of its rules allows, nothing else. Off, everything is allowed: the
 * default only where the registrar's host is a loopback address. Immutable, thread-safe.
 */
public final class Authorization {
    private static final String PATH = RegistrarSettings.PATH + ".authorization";
    private static final Pattern EVERY_POOL = glob("*");

    /** What a client asks for, as the rules name it. */
    public enum Operation {
        /** Registration, re-registration, deregistration. */
        REGISTER,
        RESOLVE,
        /** Unreachability reports. */
        REPORT,
        /** Dump and status requests. */
        DUMP
    }

    /** One rule. */
    /**
     * @param identity a certificate subject as configured, or "*"; compared in its canonical form
     *                 ({@link #canonicalSubject}), so "CN=pe-1, O=Example" matches a certificate of "cn=pe-1,o=example"
     */
    record Rule(String name, String identity, byte[] tokenSha256, List<Pattern> pools, Set<Operation> operations,
                String canonicalIdentity) {
        boolean matchesEveryone() {
            return "*".equals(identity);
        }
    }

    /**
     * A distinguished name in RFC 2253's canonical form (attribute types and values case-folded, spaces around
     * separators dropped), or {@code null} when {@code subject} is not one.
     */
    static String canonicalSubject(String subject) {
        try {
            return new javax.security.auth.x500.X500Principal(subject)
                    .getName(javax.security.auth.x500.X500Principal.CANONICAL);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private final boolean enforced;
    private final List<Rule> rules;

    private Authorization(boolean enforced, List<Rule> rules) {
        this.enforced = enforced;
        this.rules = List.copyOf(rules);
    }

    /** Everything allowed: for tests and loopback development. */
    public static Authorization off() {
        return new Authorization(false, List.of());
    }

    /** Whether requests are checked at all. */
    public boolean enforced() {
        return enforced;
    }

    /**
     * From the node's configuration. {@code enabled = auto}: on unless the registrar's host is a loopback address.
     *
     * @throws IllegalArgumentException naming the key for a bad value
     */
    public static Authorization from(Config config) {
        Config c = config.getConfig(PATH);
        String mode = c.getString("enabled").trim().toLowerCase(Locale.ROOT);
        boolean on = switch (mode) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            // the address the client port is bound to decides (0.0.0.0 is not loopback), not the advertised one
            case "auto" -> !loopback(BindHost.of(config));
            default -> throw new IllegalArgumentException(PATH + ".enabled must be auto, on or off, not '" + mode
                    + "'");
        };
        List<Rule> rules = new ArrayList<>();
        List<? extends Config> list;
        try {
            list = c.getConfigList("rules");
        } catch (ConfigException e) {
            throw new IllegalArgumentException(PATH + ".rules: " + e.getMessage(), e);
        }
        for (int i = 0; i < list.size(); i++) {
            rules.add(rule(list.get(i), PATH + ".rules[" + i + "]"));
        }
        return new Authorization(on, rules);
    }

    private static Rule rule(Config r, String where) {
        String identity = r.hasPath("identity") ? r.getString("identity") : null;
        byte[] token = null;
        if (r.hasPath("token-sha256")) {
            try {
                token = HexFormat.of().parseHex(r.getString("token-sha256").trim().toLowerCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                token = null;
            }
            if (token == null || token.length != 32) {
                throw new IllegalArgumentException(where + ".token-sha256 must be 64 hex digits (sha256sum of the "
                        + "token)");
            }
        }
        if ((identity == null) == (token == null)) {
            throw new IllegalArgumentException(where + " needs exactly one of identity (a certificate subject, or "
                    + "\"*\" for everyone) and token-sha256");
        }
        List<Pattern> pools = new ArrayList<>();
        for (String p : r.hasPath("pools") ? r.getStringList("pools") : List.<String>of()) {
            pools.add(glob(p));
        }
        if (pools.isEmpty()) {
            throw new IllegalArgumentException(where + ".pools must list at least one pool handle pattern");
        }
        Set<Operation> ops = EnumSet.noneOf(Operation.class);
        for (String o : r.hasPath("operations") ? r.getStringList("operations") : List.<String>of()) {
            try {
                ops.add(Operation.valueOf(o.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ".operations: '" + o + "' is none of register, resolve, "
                        + "report, dump");
            }
        }
        if (ops.isEmpty()) {
            throw new IllegalArgumentException(where + ".operations must list at least one of register, resolve, "
                    + "report, dump");
        }
        String name = r.hasPath("name") ? r.getString("name") : identity != null ? identity : "token";
        String canonical = null;
        if (identity != null && !"*".equals(identity)) {
            canonical = canonicalSubject(identity);
            if (canonical == null) {
                throw new IllegalArgumentException(where + ".identity '" + identity + "' is not a certificate subject "
                        + "(a distinguished name such as \"CN=pe-1,O=Example\"), nor \"*\"");
            }
        }
        return new Rule(name, identity, token, pools, ops, canonical);
    }

    /** A pattern where {@code *} matches any run of characters and everything else stands for itself. */
    static Pattern glob(String pattern) {
        String[] parts = pattern.split("\\*", -1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                b.append(".*");
            }
            b.append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(b.toString(), Pattern.DOTALL);
    }

    private static boolean loopback(String host) {
        try {
            InetAddress a = InetAddress.getByName(host);
            return a.isLoopbackAddress() && !a.isAnyLocalAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** What one connection may do: the rules that name it. */
    public final class Grant {
        private final String identity;
        private final List<Rule> granted;

        private Grant(String identity, List<Rule> granted) {
            this.identity = identity;
            this.granted = granted;
        }

        /** The connection's identity in log lines: its certificate's subject, its token rule's name, or none. */
        public String identity() {
            return identity;
        }

        /** Whether the connection may do {@code operation} on the pool {@code handle}. */
        public boolean allows(Operation operation, byte[] handle) {
            if (!enforced) {
                return true;
            }
            String h = new String(handle, StandardCharsets.ISO_8859_1);
            for (Rule r : granted) {
                if (r.operations().contains(operation)) {
                    for (Pattern p : r.pools()) {
                        if (p.matcher(h).matches()) {
                            return true;
                        }
                    }
                }
            }
            return false;
        }

        /** Whether it may do {@code operation} on every pool (a dump of the whole handlespace, a status). */
        public boolean allowsAll(Operation operation) {
            if (!enforced) {
                return true;
            }
            for (Rule r : granted) {
                if (r.operations().contains(operation) && r.pools().stream().anyMatch(p -> p.pattern().equals(
                        EVERY_POOL.pattern()))) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The grant of a connection identified by its TLS client certificate's subject (null: none). */
    public Grant grant(String subject) {
        List<Rule> granted = new ArrayList<>();
        String canonical = subject == null ? null : canonicalSubject(subject);
        for (Rule r : rules) {
            if (r.matchesEveryone() || canonical != null && canonical.equals(r.canonicalIdentity())) {
                granted.add(r);
            }
        }
        return new Grant(subject == null ? "anonymous" : subject, granted);
    }

    /**
     * The grant of a connection that presented {@code token} (besides its certificate's subject), or null when no
     * rule names the token.
     */
    public Grant grantWithToken(String subject, byte[] token) {
        if (!enforced) {
            return new Grant("token (not checked: authorization is off)", List.of());
        }
        byte[] digest = sha256(token);
        List<Rule> granted = new ArrayList<>(grant(subject).granted);
        String name = null;
        for (Rule r : rules) {
            if (r.tokenSha256() != null && MessageDigest.isEqual(r.tokenSha256(), digest)) {
                granted.add(r);
                name = "token:" + r.name();
            }
        }
        return name == null ? null : new Grant(name, granted);
    }

    static byte[] sha256(byte[] token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
