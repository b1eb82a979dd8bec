package io.cais.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A real PostgreSQL server of one test's own (the shared {@link PostgresTestResource} serves every other test and
 * must never go down), with a fixed port and data directory so that it can be stopped, frozen and started again
 * under a running registry.
 */
public final class DedicatedPostgres implements AutoCloseable {

    private final Path dataDir;
    private final int port;
    private EmbeddedPostgres server;

    private DedicatedPostgres(Path dataDir, int port) {
        this.dataDir = dataDir;
        this.port = port;
    }

    public static DedicatedPostgres start(Path dataDir) throws Exception {
        DedicatedPostgres postgres = new DedicatedPostgres(dataDir, RegistryProcess.freePort());
        postgres.start();
        return postgres;
    }

    public void start() throws Exception {
        server = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false).setPort(port).start();
    }

    /** A clean stop (pg_ctl stop -m fast): connections are closed, new ones refused. */
    public void stop() throws Exception {
        server.close();
    }

    /** The postmaster's pid; its backends are its children. */
    public long pid() throws Exception {
        return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).getFirst().trim());
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    /** The registry's configuration for this server. */
    public Map<String, String> registryConfig() {
        Map<String, String> config = new HashMap<>();
        config.put("quarkus.datasource.jdbc.url", jdbcUrl());
        config.put("quarkus.datasource.username", "postgres");
        return config;
    }

    @Override
    public void close() throws Exception {
        if (Files.exists(dataDir.resolve("postmaster.pid"))) {
            Signals.thaw(pid());
        }
        server.close();
    }
}
