package io.cais.metadata.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.jboss.logging.Logger;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;

/**
 * The embedded PostgreSQL's superuser password. The library behind the embedded server creates its clusters with
 * trust authentication, so any local process reaching the port is superuser. Here the password is generated once,
 * kept in the data directory ({@value #PASSWORD_FILE}, mode 0600, readable only by whoever may read the data
 * anyway), and {@code pg_hba.conf} asks for it (SCRAM) on every TCP and Unix-socket connection.
 *
 * <p>A new cluster gets the password from initdb, so it never trusts anyone. A data directory created by an
 * older Cais (trust, no password file) starts once more as it was, long enough for Cais to set the password, write
 * the file and the new {@code pg_hba.conf} and reload the server: a window of a second, once, on loopback.
 */
final class EmbeddedCredentials {

    static final String PASSWORD_FILE = "cais-superuser-password";
    private static final Logger LOG = Logger.getLogger(EmbeddedCredentials.class);
    private static final String HBA = """
            # Written by Cais at every start of its embedded PostgreSQL; edits are overwritten.
            # The superuser's password is in %s (mode 0600) in this directory.
            local   all   all                  scram-sha-256
            host    all   all   127.0.0.1/32   scram-sha-256
            host    all   all   ::1/128        scram-sha-256
            """.formatted(PASSWORD_FILE);

    private enum State { NEW_CLUSTER, PROTECTED, TRUSTING }

    private final Path dataDir;
    private final State state;
    private final String password;
    /** Where initdb reads the password of a new cluster from (outside the data directory, which must be empty). */
    private final Path initdbPasswordFile;

    private EmbeddedCredentials(Path dataDir, State state, String password, Path initdbPasswordFile) {
        this.dataDir = dataDir;
        this.state = state;
        this.password = password;
        this.initdbPasswordFile = initdbPasswordFile;
    }

    static EmbeddedCredentials prepare(Path dataDir) throws IOException {
        Path stored = dataDir.resolve(PASSWORD_FILE);
        if (!Files.exists(dataDir.resolve("postgresql.conf"))) {
            String password = generate();
            Path forInitdb = Files.createTempFile("cais-initdb", ".pw",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(forInitdb, password + "\n");
            return new EmbeddedCredentials(dataDir, State.NEW_CLUSTER, password, forInitdb);
        }
        if (Files.exists(stored)) {
            return new EmbeddedCredentials(dataDir, State.PROTECTED, Files.readString(stored).strip(), null);
        }
        return new EmbeddedCredentials(dataDir, State.TRUSTING, generate(), null);
    }

    String password() {
        return password;
    }

    /** initdb options for a new cluster, and the password for the library's own readiness check. */
    void configure(EmbeddedPostgres.Builder builder) {
        if (state == State.NEW_CLUSTER) {
            builder.setLocaleConfig("pwfile", initdbPasswordFile.toString())
                    .setLocaleConfig("auth-host", "scram-sha-256")
                    .setLocaleConfig("auth-local", "scram-sha-256");
        }
        if (state != State.TRUSTING) {
            builder.setConnectConfig("password", password);
        }
    }

    /** Called by the library after initdb (if it ran) and before the server starts. */
    void beforeServerStarts(File directory) {
        try {
            if (state == State.NEW_CLUSTER) {
                Files.deleteIfExists(initdbPasswordFile);
                storePassword();
            }
            if (state != State.TRUSTING) {
                writeHba();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A cluster that still trusts everyone gets its password now, and from now on asks for it. */
    void afterServerStarted(ConnectionSource superuser) throws IOException {
        if (state != State.TRUSTING) {
            return;
        }
        try (Connection connection = superuser.open(); Statement statement = connection.createStatement()) {
            statement.execute("SET password_encryption = 'scram-sha-256'");
            statement.execute("ALTER ROLE " + EmbeddedDatabase.SUPERUSER + " PASSWORD '" + password + "'");
            storePassword();
            writeHba();
            statement.execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            throw new IOException("cannot set the embedded PostgreSQL's password", e);
        }
        LOG.infof("embedded PostgreSQL: trust authentication replaced by a password, kept in %s",
                dataDir.resolve(PASSWORD_FILE));
    }

    interface ConnectionSource {
        Connection open() throws SQLException;
    }

    private void storePassword() throws IOException {
        Path temporary = dataDir.resolve(PASSWORD_FILE + ".new");
        Files.deleteIfExists(temporary);
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(temporary, password + "\n", StandardCharsets.UTF_8);
        Files.move(temporary, dataDir.resolve(PASSWORD_FILE), StandardCopyOption.ATOMIC_MOVE);
    }

    private void writeHba() throws IOException {
        Path temporary = dataDir.resolve("pg_hba.conf.new");
        Files.writeString(temporary, HBA, StandardCharsets.UTF_8);
        Files.move(temporary, dataDir.resolve("pg_hba.conf"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** 32 random characters from a URL-safe alphabet: nothing a shell, SQL literal or JDBC URL needs to escape. */
    private static String generate() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
