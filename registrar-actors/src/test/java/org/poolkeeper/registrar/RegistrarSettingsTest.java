package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.registrar.node.ClientNetworks;
import org.poolkeeper.registrar.node.ClusterSettings;
import org.poolkeeper.registrar.node.Membership;
import org.poolkeeper.registrar.node.RegistrarSettings;

/** The configuration: defaults, derived Pekko keys, validation with messages that name the key. */
class RegistrarSettingsTest {

    private static RegistrarSettings settings(String hocon) {
        return RegistrarSettings.from(RegistrarServer.loadConfig(ConfigFactory.parseString(hocon), null));
    }

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        RegistrarSettings s = settings("poolkeeper.registrar.registrar-id = 42");
        assertEquals(42, s.registrarId());
        assertEquals("127.0.0.1", s.host());
        assertEquals(3863, s.asapPort());
        assertEquals(Duration.ofSeconds(5), s.keepAliveInterval());
        assertEquals(Duration.ofSeconds(5), s.keepAliveTimeout());
        assertEquals(Duration.ofSeconds(2), s.connectionLossGrace());
        assertEquals(3, s.maxBadPeReports());
        assertEquals(3, s.handlespace().maxHandleResolutionItems());
        assertEquals(32, s.handlespace().maxPoolHandleLength());
        assertEquals(100_000, s.handlespace().maxElementsPerPool());
        assertEquals(HandlespaceConfig.FullPoolAction.REJECT, s.handlespace().fullPoolAction());
        assertEquals(3_600_000, s.handlespace().maxRegistrationLifeMs());
        assertEquals(100, s.minRegistrationLifeMs());
        assertEquals(10_000, s.maxPesPerConnection());
        assertEquals(256, s.maxInFlightPerConnection());
        assertEquals(100, s.numberOfShards());
        assertEquals(RegistrarSettings.ResolutionMode.REPLICA, s.resolutionMode());
        assertEquals(64 * 1024, s.maxFrameLength());
    }

    @Test
    void pekkoSettingsAreDerivedFromTheRegistrarKeys() {
        Config c = RegistrarServer.loadConfig(ConfigFactory.parseString("""
                poolkeeper.registrar { host = "127.0.0.3", cluster-port = 4711, seed-nodes = ["10.0.0.1:7355"]
                                       number-of-shards = 7 }
                """), null);
        assertEquals("cluster", c.getString("pekko.actor.provider"));
        assertEquals("127.0.0.3", c.getString("pekko.remote.artery.canonical.hostname"));
        assertEquals(4711, c.getInt("pekko.remote.artery.canonical.port"));
        assertEquals(List.of("pekko://poolkeeper@10.0.0.1:7355"), c.getStringList("pekko.cluster.seed-nodes"));
        assertEquals(7, c.getInt("pekko.cluster.sharding.number-of-shards"));
        assertFalse(c.getBoolean("pekko.actor.allow-java-serialization"));
        assertEquals("none", c.getString("pekko.cluster.sharding.passivation.strategy"));
    }

    @Test
    void clusterSettingsCarryTheRegistrarIdAsRoleAndUseTheSplitBrainResolverAndNoRememberedEntities() {
        Config c = RegistrarServer.loadConfig(ConfigFactory.parseString("""
                poolkeeper.registrar { registrar-id = 0xB2, down-stable-after = 3 s, takeover-margin = 400 ms }
                """), null);
        assertEquals(List.of("registrar-000000b2"), c.getStringList("pekko.cluster.roles"));
        assertEquals(0xB2, Membership.registrarId("registrar-000000b2"));
        assertEquals(0, Membership.registrarId("registrar-xyz"));
        assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
                c.getString("pekko.cluster.downing-provider-class"));
        assertEquals("keep-majority", c.getString("pekko.cluster.split-brain-resolver.active-strategy"));
        assertEquals(Duration.ofSeconds(3), c.getDuration("pekko.cluster.split-brain-resolver.stable-after"));
        assertEquals(Duration.ofMillis(400), c.getDuration("pekko.cluster.down-removal-margin"));
        assertFalse(c.getBoolean("pekko.cluster.sharding.remember-entities"),
                "no entity start or stop writes cluster-wide state");
        // a random id is drawn once, so that the role and the node's settings agree
        Config random = RegistrarServer.loadConfig(ConfigFactory.parseString("poolkeeper.registrar.registrar-id = 0"),
                null);
        int id = RegistrarSettings.from(random).registrarId();
        assertEquals(List.of(Membership.role(id)), random.getStringList("pekko.cluster.roles"));
        ClusterSettings cluster = ClusterSettings.from(c, RegistrarSettings.from(c));
        assertEquals(Duration.ofSeconds(10), cluster.takeoverGrace(), "twice the keep-alive interval");
        assertEquals(500, cluster.batchSize());
    }

    @Test
    void anUnknownSettingInAConfigFileIsRefusedWithItsKeyFileAndLine() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("registrar", ".conf");
        try {
            java.nio.file.Files.writeString(file, """
                    poolkeeper.registrar {
                      keep-alive-interval = 2 s
                      keep-alive-intervall = 1 s
                    }
                    """);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RegistrarServer.loadConfig(ConfigFactory.empty(), file.toFile()));
            assertTrue(e.getMessage().contains("poolkeeper.registrar.keep-alive-intervall"), e.getMessage());
            assertTrue(e.getMessage().contains(file.getFileName().toString()) && e.getMessage().contains(": 3"),
                    "names the file and line: " + e.getMessage());
            assertFalse(e.getMessage().contains("keep-alive-interval "), "the known key is not named: "
                    + e.getMessage());
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
        IllegalArgumentException fromOverrides = assertThrows(IllegalArgumentException.class,
                () -> RegistrarServer.loadConfig(ConfigFactory.parseString("poolkeeper.protocol.max-frame = 1"), null));
        assertTrue(fromOverrides.getMessage().contains("poolkeeper.protocol.max-frame"), fromOverrides.getMessage());
        // every documented key is accepted
        RegistrarServer.loadConfig(ConfigFactory.parseString(
                "poolkeeper.registrar { http-port = 0, status-file = x, test-hooks = on }\n"
                        + "poolkeeper.protocol.max-frame-length = 32 KiB"), null);
    }

    @Test
    void registrarIdsAreDecimalOrHexAndZeroMeansRandom() {
        assertEquals(0xabcd, RegistrarSettings.registrarId("0xABCD"));
        assertEquals(12, RegistrarSettings.registrarId("12"));
        assertEquals(0xFFFFFFFF, RegistrarSettings.registrarId("4294967295"));
        assertNotEquals(0, RegistrarSettings.registrarId("0"));
        assertNotEquals(0, RegistrarSettings.registrarId("random"));
        assertThrows(IllegalArgumentException.class, () -> RegistrarSettings.registrarId("0x100000000"));
        assertThrows(IllegalArgumentException.class, () -> RegistrarSettings.registrarId("-1"));
        assertThrows(IllegalArgumentException.class, () -> RegistrarSettings.registrarId("pr-1"));
    }

    @Test
    void badValuesAreRejectedNamingTheKey() {
        for (String bad : List.of("max-hres-items = 129", "max-hres-items = 0", "full-pool-action = drop",
                "resolution-mode = nearest", "keep-alive-interval = 0 s", "connection-loss-grace = -1 s",
                "min-registration-life = 2 h", "asap-port = 70000", "allowed-client-networks = [\"10.0.0.0/33\"]",
                "allowed-client-networks = [\"example.org/8\"]", "max-bad-pe-reports = 0")) {
            String key = bad.substring(0, bad.indexOf(' '));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> settings("poolkeeper.registrar." + bad), bad);
            assertTrue(e.getMessage().contains(key) || e.getMessage().contains("network")
                    || e.getMessage().contains("prefix"), e.getMessage());
        }
    }

    @Test
    void clientNetworksMatchByPrefix() throws Exception {
        ClientNetworks networks = new ClientNetworks(List.of("10.1.0.0/16", "192.0.2.128/25", "::1/128"));
        assertTrue(networks.allows(InetAddress.getByName("10.1.200.3")));
        assertFalse(networks.allows(InetAddress.getByName("10.2.0.1")));
        assertTrue(networks.allows(InetAddress.getByName("192.0.2.200")));
        assertFalse(networks.allows(InetAddress.getByName("192.0.2.100")));
        assertTrue(networks.allows(InetAddress.getByName("::1")));
        assertFalse(networks.allows(InetAddress.getByName("127.0.0.1")));
        assertTrue(new ClientNetworks(List.of("0.0.0.0/0")).allows(InetAddress.getByName("203.0.113.9")));
    }

    @Test
    void theMultiHostTemplatesInDeployConfigAreValid() {
        for (int node = 1; node <= 3; node++) {
            java.io.File template = new java.io.File("../deploy/config/registrar-" + node + ".conf");
            assertTrue(template.isFile(), "missing " + template);
            Config config = RegistrarServer.loadConfig(ConfigFactory.empty(), template);
            RegistrarSettings s = RegistrarSettings.from(config);
            assertEquals(0x10000000 + node, s.registrarId());
            assertEquals("10.0.0." + node, s.host());
            List<String> seeds = config.getStringList("pekko.cluster.seed-nodes");
            assertEquals(3, seeds.size(), seeds.toString());
            assertTrue(seeds.get(0).endsWith("@10.0.0.1:7355"), seeds.toString());
        }
    }
}
