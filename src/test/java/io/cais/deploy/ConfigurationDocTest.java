package io.cais.deploy;

import io.cais.testing.DocumentedProperties;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/configuration.md, which the deployment files are checked against, names environment variables right. */
class ConfigurationDocTest {

    @Test
    void everyDocumentedEnvironmentVariableIsThePropertyInEnvironmentForm() throws Exception {
        DocumentedProperties.load().environment().forEach((property, variable) ->
                assertThat(variable).as(property).isEqualTo(DocumentedProperties.environmentName(property)));
    }
}
