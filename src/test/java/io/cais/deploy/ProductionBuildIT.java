package io.cais.deploy;

import io.cais.testing.Commands;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The production build ({@code mvn -Pproduction package}, README) carries no embedded PostgreSQL, and started
 * without a database it says in one line what to set. Built from a copy of the sources, so that this build
 * never writes into the one running the tests.
 */
class ProductionBuildIT {

    @Test
    void productionBuildLeavesTheEmbeddedPostgresOutAndAsksForADatabase() throws Exception {
        Path copy = Files.createTempDirectory("cais-production-build");
        Files.copy(Path.of("pom.xml"), copy.resolve("pom.xml"));
        copyTree(Path.of("src", "main"), copy.resolve("src").resolve("main"));
        Path mvn = Commands.require("mvn", "install Maven: apt-get install -y maven");
        Commands.ok(copy, Duration.ofMinutes(8), mvn.toString(), "-B", "-q", "-Pproduction", "-Dmaven.test.skip=true", "package");

        Path app = copy.resolve("target").resolve("quarkus-app");
        try (Stream<Path> libs = Files.list(app.resolve("lib").resolve("main"))) {
            List<String> names = libs.map(p -> p.getFileName().toString()).toList();
            assertThat(names).anyMatch(n -> n.startsWith("org.postgresql.postgresql-")).noneMatch(n -> n.contains("zonky"));
        }

        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Commands.Result start = Commands.run(copy, Map.of(), null, Duration.ofMinutes(1), java.toString(), "-jar",
                app.resolve("quarkus-run.jar").toString());
        assertThat(start.exitCode()).as(start.describe()).isEqualTo(2);
        assertThat(start.stderr()).as(start.describe())
                .contains("cais: this build of Cais has no embedded PostgreSQL (the production build): set quarkus.datasource.jdbc.url");
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }
}
