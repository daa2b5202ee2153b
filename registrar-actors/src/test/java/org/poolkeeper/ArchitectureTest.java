package org.poolkeeper;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.time.Clock;
import java.time.Instant;

/**
 * The registrar's architecture: two pure cores ({@code handlespace}, {@code replication}) with no actor framework,
 * no wire format, no clock and no logging, and the actor shell in layers by flow, each depending only on the
 * layers below it.
 */
@AnalyzeClasses(packages = "org.poolkeeper", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
    private static final String[] CORES = {"org.poolkeeper.handlespace..", "org.poolkeeper.replication.."};

    @ArchTest
    static final ArchRule coresDoNotDependOnPekkoOrTheWire = noClasses()
            .that().resideInAnyPackage(CORES)
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.pekko..", "akka..", "scala..",
                    "com.google.protobuf..", "org.poolkeeper.protocol..", "org.poolkeeper.registrar..")
            .because("the cores are plain single-threaded Java; actors and the wire live in org.poolkeeper.registrar");

    @ArchTest
    static final ArchRule coresDoNotReadClocks = noClasses()
            .that().resideInAnyPackage(CORES)
            .should().callMethod(System.class, "currentTimeMillis")
            .orShould().callMethod(System.class, "nanoTime")
            .orShould().callMethod(Instant.class, "now")
            .orShould().dependOnClassesThat().areAssignableTo(Clock.class)
            .because("time is a parameter of the cores, so every behaviour is testable without waiting");

    @ArchTest
    static final ArchRule coresDoNotLog = noClasses()
            .that().resideInAnyPackage(CORES)
            .should().dependOnClassesThat().resideInAnyPackage("org.slf4j..", "ch.qos.logback..", "java.util.logging..")
            .because("the cores sit on every hot path");

    @ArchTest
    static final ArchRule theHandlespaceKnowsNothingOfReplication = noClasses()
            .that().resideInAPackage("org.poolkeeper.handlespace..")
            .should().dependOnClassesThat().resideInAPackage("org.poolkeeper.replication..");

    @ArchTest
    static final ArchRule theShellIsLayeredByFlow = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("node").definedBy("org.poolkeeper.registrar")
            .layer("endpoint").definedBy("org.poolkeeper.registrar.endpoint..")
            .layer("pool").definedBy("org.poolkeeper.registrar.pool..")
            .layer("replication").definedBy("org.poolkeeper.registrar.replication..")
            .layer("settings").definedBy("org.poolkeeper.registrar.node..")
            .layer("wire").definedBy("org.poolkeeper.registrar.wire..")
            .whereLayer("node").mayNotBeAccessedByAnyLayer()
            .whereLayer("endpoint").mayOnlyBeAccessedByLayers("node")
            .whereLayer("pool").mayOnlyBeAccessedByLayers("node", "endpoint")
            .whereLayer("replication").mayOnlyBeAccessedByLayers("node", "endpoint", "pool")
            .whereLayer("wire").mayOnlyBeAccessedByLayers("node", "endpoint", "pool", "replication")
            .because("the folder tree shows the flows: a client session (endpoint) reaches pools' writers (pool), "
                    + "which change the replica (replication); the node wires them");
}
