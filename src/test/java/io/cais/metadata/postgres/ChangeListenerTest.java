package io.cais.metadata.postgres;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** The change listener connects as the datasource does: with its extra JDBC properties, not only URL and user. */
class ChangeListenerTest {

    @Test
    void listenerConnectionCarriesTheDatasourcesAdditionalJdbcProperties() {
        var config = new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(Map.of(
                "quarkus.datasource.jdbc.additional-jdbc-properties.sslmode", "verify-full",
                "quarkus.datasource.jdbc.additional-jdbc-properties.sslrootcert", "/etc/cais/ca.pem",
                "quarkus.datasource.jdbc.additional-jdbc-properties.options", "-c statement_timeout=5s",
                "quarkus.datasource.jdbc.additional-jdbc-properties.ApplicationName", "pool-name",
                "quarkus.datasource.jdbc.max-size", "32"), "test", 100)).build();

        Properties properties = ChangeListener.connectionProperties(config, Optional.of("cais"), Optional.of("secret"));

        assertThat(properties).containsEntry("sslmode", "verify-full").containsEntry("sslrootcert", "/etc/cais/ca.pem")
                .containsEntry("options", "-c statement_timeout=5s").containsEntry("user", "cais")
                .containsEntry("password", "secret")
                .containsEntry("ApplicationName", ChangeListener.APPLICATION_NAME)
                .doesNotContainKey("max-size");
    }
}
