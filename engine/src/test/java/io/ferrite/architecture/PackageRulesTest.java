package io.ferrite.architecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The package structure docs/ENGINE.md draws, checked on the compiled classes so that a change cannot quietly undo
 * it: the API depends on nothing internal, the on-disk format on nothing of the engine or the API, and no two
 * packages depend on each other, however indirectly.
 */
final class PackageRulesTest
{
    private static JavaClasses classes;

    @BeforeAll
    static void importEngine()
    {
        classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.ferrite");
        // An empty import would make every rule below pass: make sure the engine's packages were found.
        assertThat(classes.containPackage("io.ferrite.engine.block")).isTrue();
        assertThat(classes.containPackage("io.ferrite.format")).isTrue();
        assertThat(classes.containPackage("io.ferrite.memory")).isTrue();
        assertThat(classes.containPackage("io.ferrite.metrics")).isTrue();
    }

    @Test
    void theApiImportsNoEnginePackage()
    {
        noClasses().that().resideInAPackage("io.ferrite.store..")
            .should().dependOnClassesThat().resideInAPackage("io.ferrite.engine..")
            .check(classes);
    }

    @Test
    void theApiNamesNoFerriteCodeButItsOwnAndTheFormat()
    {
        // An allow-list, not a deny-list: a new internal package cannot slip into the API unnoticed. The format is the
        // public on-disk contract (MessageView reads the record layout, StreamConfig sizes blocks against it), as
        // Aeron's client reads io.aeron.protocol; even ferrite-crypto reaches the API only through the format.
        noClasses().that().resideInAPackage("io.ferrite.store..")
            .should().dependOnClassesThat(JavaClass.Predicates.resideInAPackage("io.ferrite..")
                .and(DescribedPredicate.not(JavaClass.Predicates.resideInAnyPackage(
                    "io.ferrite.store..", "io.ferrite.format.."))))
            .check(classes);
    }

    @Test
    void theFormatDependsOnNeitherTheEngineNorTheApi()
    {
        noClasses().that().resideInAPackage("io.ferrite.format..")
            .should().dependOnClassesThat().resideInAnyPackage("io.ferrite.engine..", "io.ferrite.store..")
            .check(classes);
    }

    @Test
    void cryptoKnowsNothingOfTheStore()
    {
        noClasses().that().resideInAPackage("io.ferrite.crypto..")
            .should().dependOnClassesThat()
            .resideInAnyPackage("io.ferrite.engine..", "io.ferrite.store..", "io.ferrite.format..")
            .check(classes);
    }

    @Test
    void theMemoryStoreStandsOnTheApiAlone()
    {
        // One SPI, two stores: the memory store may use the API and the record layout, never the file engine, and
        // nothing but the ServiceLoader finds it.
        noClasses().that().resideInAPackage("io.ferrite.memory..")
            .should().dependOnClassesThat().resideInAPackage("io.ferrite.engine..")
            .check(classes);
        noClasses().that().resideInAnyPackage("io.ferrite.store..", "io.ferrite.engine..", "io.ferrite.format..")
            .should().dependOnClassesThat().resideInAPackage("io.ferrite.memory..")
            .check(classes);
    }

    @Test
    void theMetricsExportsStandOnTheApiAloneAndNothingNeedsThem()
    {
        // Micrometer is optional: only io.ferrite.metrics may name it, and nothing else in Ferrite names that package,
        // so an application without Micrometer never loads a class that needs it.
        noClasses().that().resideInAPackage("io.ferrite.metrics..")
            .should().dependOnClassesThat()
            .resideInAnyPackage("io.ferrite.engine..", "io.ferrite.memory..", "io.ferrite.format..")
            .check(classes);
        noClasses().that().resideOutsideOfPackage("io.ferrite.metrics..")
            .should().dependOnClassesThat().resideInAnyPackage("io.ferrite.metrics..", "io.micrometer..")
            .check(classes);
    }

    @Test
    void noPackageCycles()
    {
        slices().matching("io.ferrite.(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void engineInternalsReachTheTopOnlyFromIt()
    {
        // The lower engine packages serve FileStreamStore and its helpers, never the other way round.
        noClasses().that().resideInAnyPackage(
                "io.ferrite.engine.block..", "io.ferrite.engine.index..", "io.ferrite.engine.flush..",
                "io.ferrite.engine.state..", "io.ferrite.engine.recovery..", "io.ferrite.engine.metrics..",
                "io.ferrite.engine.agent..", "io.ferrite.engine.consumer..")
            .should().dependOnClassesThat().resideInAPackage("io.ferrite.engine")
            .check(classes);
    }
}
