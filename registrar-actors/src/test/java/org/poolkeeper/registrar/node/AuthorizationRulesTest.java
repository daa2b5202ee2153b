package org.poolkeeper.registrar.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.poolkeeper.registrar.RegistrarServer;
import org.poolkeeper.registrar.node.Authorization.Operation;

/** The authorization rules as configured: who they name, what they allow, and the refusal of bad rules. */
class AuthorizationRulesTest {
    private static final String SHA_OF_SECRET = HexFormat.of().formatHex(
            Authorization.sha256("secret".getBytes(StandardCharsets.UTF_8)));

    private static Authorization rules(String host, String authorization) {
        Config c = ConfigFactory.parseString("poolkeeper.registrar { host = \"" + host + "\"\n authorization { "
                + authorization + " } }").withFallback(ConfigFactory.defaultReference()).resolve();
        return Authorization.from(c);
    }

    private static byte[] pool(String handle) {
        return handle.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void autoIsOffOnLoopbackAndOnElsewhereWhereNoRuleMeansNothingAllowed() {
        assertFalse(rules("127.0.0.1", "enabled = auto").enforced());
        // a client that presents a token to a registrar that checks none is not refused for it
        assertTrue(rules("127.0.0.1", "enabled = auto").grantWithToken(null, "any".getBytes(StandardCharsets.UTF_8))
                .allows(Operation.REGISTER, pool("x")));
        // bound to every interface, a registrar advertised as loopback still checks
        Config wildcard = ConfigFactory.parseString("poolkeeper.registrar { host = \"127.0.0.1\", bind-host = "
                + "\"0.0.0.0\" }").withFallback(ConfigFactory.defaultReference()).resolve();
        assertTrue(Authorization.from(wildcard).enforced());
        assertTrue(rules("127.0.0.1", "enabled = auto").grant(null).allows(Operation.REGISTER, pool("x")));
        Authorization elsewhere = rules("10.0.0.1", "enabled = auto");
        assertTrue(elsewhere.enforced());
        assertFalse(elsewhere.grant("CN=anyone").allows(Operation.RESOLVE, pool("x")));
        assertFalse(elsewhere.grant(null).allowsAll(Operation.DUMP));
    }

    @Test
    void rulesGrantByCertificateSubjectTokenOrEveryoneAndMatchPoolPatterns() {
        Authorization a = rules("10.0.0.1", "enabled = on, rules = ["
                + "{ identity = \"CN=ops\", pools = [\"*\"], operations = [register, resolve, report, dump] },"
                + "{ name = orders, token-sha256 = \"" + SHA_OF_SECRET + "\", pools = [\"orders-*\", \"*-eu\"],"
                + "  operations = [register] },"
                + "{ identity = \"*\", pools = [\"orders-*\"], operations = [resolve] } ]");
        Authorization.Grant ops = a.grant("CN=ops");
        assertTrue(ops.allows(Operation.REPORT, pool("anything")));
        assertTrue(ops.allowsAll(Operation.DUMP));
        // subjects compare as distinguished names, not as strings: case and spaces around separators do not count
        Authorization named = rules("10.0.0.1", "enabled = on, rules = [{ identity = \"CN=pe-1, O=Example Corp\","
                + " pools = [\"*\"], operations = [register] }]");
        assertTrue(named.grant("cn=PE-1,o=example corp").allows(Operation.REGISTER, pool("x")));
        assertFalse(named.grant("CN=pe-1,O=Example Corp,C=DE").allows(Operation.REGISTER, pool("x")));
        assertFalse(named.grant("CN=pe-12,O=Example Corp").allows(Operation.REGISTER, pool("x")));
        assertFalse(named.grant("not a name").allows(Operation.REGISTER, pool("x")));

        Authorization.Grant anonymous = a.grant(null);
        assertEquals("anonymous", anonymous.identity());
        assertTrue(anonymous.allows(Operation.RESOLVE, pool("orders-1")));
        assertFalse(anonymous.allows(Operation.RESOLVE, pool("xorders-1")), "a pattern matches the whole handle");
        assertFalse(anonymous.allows(Operation.REGISTER, pool("orders-1")));
        assertFalse(anonymous.allowsAll(Operation.RESOLVE), "every pool needs a \"*\" pattern");

        Authorization.Grant token = a.grantWithToken(null, "secret".getBytes(StandardCharsets.UTF_8));
        assertEquals("token:orders", token.identity());
        assertTrue(token.allows(Operation.REGISTER, pool("orders-1")));
        assertTrue(token.allows(Operation.REGISTER, pool("billing-eu")));
        assertFalse(token.allows(Operation.REGISTER, pool("billing-us")));
        assertTrue(token.allows(Operation.RESOLVE, pool("orders-1")), "and what everyone may");
        assertNull(a.grantWithToken(null, "guess".getBytes(StandardCharsets.UTF_8)));
        // a pattern's other characters are literal
        Authorization dots = rules("10.0.0.1", "enabled = on, rules = [{ identity = \"*\", pools = [\"a.b\"],"
                + " operations = [resolve] }]");
        assertFalse(dots.grant(null).allows(Operation.RESOLVE, pool("axb")));
    }

    @Test
    void badRulesAreRefusedNamingTheirPlace() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rules("10.0.0.1",
                "enabled = on, rules = [{ identity = \"*\", pools = [\"x\"], operations = [write] }]"));
        assertTrue(e.getMessage().contains("rules[0].operations") && e.getMessage().contains("write"),
                e::getMessage);
        e = assertThrows(IllegalArgumentException.class, () -> rules("10.0.0.1",
                "enabled = on, rules = [{ token-sha256 = \"abc\", pools = [\"x\"], operations = [resolve] }]"));
        assertTrue(e.getMessage().contains("64 hex digits"), e::getMessage);
        e = assertThrows(IllegalArgumentException.class, () -> rules("10.0.0.1",
                "enabled = on, rules = [{ pools = [\"x\"], operations = [resolve] }]"));
        assertTrue(e.getMessage().contains("exactly one of identity"), e::getMessage);
        e = assertThrows(IllegalArgumentException.class, () -> rules("10.0.0.1",
                "enabled = on, rules = [{ identity = \"pe-1\", pools = [\"x\"], operations = [resolve] }]"));
        assertTrue(e.getMessage().contains("rules[0].identity") && e.getMessage().contains("not a certificate subject"),
                e::getMessage);
        assertThrows(IllegalArgumentException.class, () -> rules("10.0.0.1", "enabled = maybe"));
    }

    @Test
    void theMultiHostTemplatesParseWithTlsAndRules() throws Exception {
        for (int i = 1; i <= 3; i++) {
            Path template = Path.of("..", "deploy", "config", "registrar-" + i + ".conf");
            assertTrue(Files.exists(template), template::toString);
            Config c = RegistrarServer.loadConfig(ConfigFactory.empty(), template.toFile());
            assertTrue(c.getBoolean("poolkeeper.registrar.tls.enabled"), "client TLS on in " + template);
            assertTrue(c.getBoolean("poolkeeper.registrar.cluster-tls.enabled"), "cluster TLS on in " + template);
            assertEquals("tls-tcp", c.getString("pekko.remote.artery.transport"));
            Authorization a = Authorization.from(c);
            assertTrue(a.enforced());
            assertTrue(a.grant("CN=ops").allowsAll(Operation.DUMP));
            assertFalse(a.grant(null).allows(Operation.REGISTER, pool("app-1")));
        }
    }
}
