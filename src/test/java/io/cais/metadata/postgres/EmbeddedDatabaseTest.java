package io.cais.metadata.postgres;

import io.cais.testing.RegistryProcess;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The embedded PostgreSQL keeps a registry's data: it must be as durable as any PostgreSQL (an acknowledged push
 * survives a crash) and must not let any local process in as superuser.
 */
class EmbeddedDatabaseTest {

    @Test
    void runsDurablyAndRefusesConnectionsWithoutThePassword() throws Exception {
        Path dataDir = Files.createTempDirectory("cais-embedded-pg").resolve("postgres");
        try (EmbeddedDatabase database = EmbeddedDatabase.start(dataDir, RegistryProcess.freePort())) {
            assertThat(database.show("fsync")).isEqualTo("on");
            assertThat(database.show("synchronous_commit")).isEqualTo("on");
            assertThat(database.show("full_page_writes")).isEqualTo("on");
            assertProtected(database, dataDir);
        }
        // Restarted from the same directory: same password, still protected.
        try (EmbeddedDatabase again = EmbeddedDatabase.start(dataDir, RegistryProcess.freePort())) {
            assertThat(again.show("fsync")).isEqualTo("on");
            assertProtected(again, dataDir);
        }
    }

    @Test
    void dataDirectoryCreatedWithTrustGetsAPasswordOnStart() throws Exception {
        Path dataDir = Files.createTempDirectory("cais-embedded-pg").resolve("postgres");
        int port = RegistryProcess.freePort();
        // What Cais before the password did: the library's defaults, trust for everyone.
        try (EmbeddedPostgres old = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false)
                .setPort(port).start();
             var connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
             var statement = connection.createStatement()) {
            statement.execute("CREATE TABLE kept (v text)");
            statement.execute("INSERT INTO kept VALUES ('pushed before the upgrade')");
        }
        try (EmbeddedDatabase upgraded = EmbeddedDatabase.start(dataDir, port)) {
            assertProtected(upgraded, dataDir);
            try (var connection = DriverManager.getConnection(upgraded.jdbcUrl(), "postgres", upgraded.password());
                 var row = connection.createStatement().executeQuery("SELECT v FROM kept")) {
                assertThat(row.next()).isTrue();
                assertThat(row.getString(1)).isEqualTo("pushed before the upgrade");
            }
        }
    }

    private static void assertProtected(EmbeddedDatabase database, Path dataDir) throws Exception {
        Path passwordFile = dataDir.resolve(EmbeddedCredentials.PASSWORD_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile))).isEqualTo("rw-------");
        assertThat(Files.readString(passwordFile).strip()).isEqualTo(database.password()).hasSizeGreaterThanOrEqualTo(32);
        assertThatThrownBy(() -> DriverManager.getConnection(database.jdbcUrl(), "postgres", "").close())
                .as("no password").isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> DriverManager.getConnection(database.jdbcUrl(), "postgres", "wrong").close())
                .as("wrong password").isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
        try (var connection = DriverManager.getConnection(database.jdbcUrl(), "postgres", database.password())) {
            assertThat(connection.isValid(5)).isTrue();
        }
    }
}
