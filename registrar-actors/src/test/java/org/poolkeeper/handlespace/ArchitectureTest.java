package org.poolkeeper.handlespace;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.time.Clock;
import java.time.Instant;

/** The handlespace core stays pure: no actor framework, no clock. */
@AnalyzeClasses(packages = "org.poolkeeper.handlespace", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule coreDoesNotDependOnPekko = noClasses()
            .that().resideInAPackage("org.poolkeeper.handlespace..")
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.pekko..", "akka..", "scala..")
            .because("the handlespace core is plain single-threaded Java; actors live in org.poolkeeper.registrar");

    @ArchTest
    static final ArchRule coreDoesNotReadClocks = noClasses()
            .that().resideInAPackage("org.poolkeeper.handlespace..")
            .should().callMethod(System.class, "currentTimeMillis")
            .orShould().callMethod(System.class, "nanoTime")
            .orShould().callMethod(Instant.class, "now")
            .orShould().dependOnClassesThat().areAssignableTo(Clock.class)
            .because("time is a parameter of the core, so every behaviour is testable without waiting");

    @ArchTest
    static final ArchRule coreDoesNotLog = noClasses()
            .that().resideInAPackage("org.poolkeeper.handlespace..")
            .should().dependOnClassesThat().resideInAnyPackage("org.slf4j..", "ch.qos.logback..", "java.util.logging..")
            .because("the core sits on every hot path");
}
