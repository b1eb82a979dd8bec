package io.cais.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The properties docs/configuration.md lists: each table row {@code | `property` | `ENV_VAR` | default | meaning |}.
 * Deployment files configure Cais through environment variables; each must name one of these.
 */
public final class DocumentedProperties {

    public static final Path DOCUMENT = Path.of("docs", "configuration.md");
    /** A table row: the property, then the environment variable (first of the names the column may give). */
    private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9.\\-\"]+)` \\| `([A-Z0-9_]+)`[^|]*\\|", Pattern.MULTILINE);

    /** Documented property → the environment variable the document names for it, in document order. */
    private final Map<String, String> environment;

    private DocumentedProperties(Map<String, String> environment) {
        this.environment = environment;
    }

    public static DocumentedProperties load() throws IOException {
        Map<String, String> environment = new LinkedHashMap<>();
        Matcher row = ROW.matcher(Files.readString(DOCUMENT));
        while (row.find()) {
            environment.put(row.group(1), row.group(2));
        }
        assertThat(environment).as("property rows in %s", DOCUMENT).isNotEmpty();
        return new DocumentedProperties(environment);
    }

    /** The environment variable of a property: upper case, every {@code .} and {@code -} an underscore. */
    public static String environmentName(String property) {
        return property.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public Map<String, String> environment() {
        return environment;
    }

    /** Fails unless every variable is the environment name of a documented property. */
    public void assertAllDocumented(Collection<String> variables, String where) {
        Set<String> known = new HashSet<>();
        environment.keySet().forEach(property -> known.add(environmentName(property)));
        List<String> unknown = variables.stream().filter(variable -> !known.contains(variable)).toList();
        assertThat(unknown).as("environment variables set by %s that name no property listed in %s", where, DOCUMENT)
                .isEmpty();
    }
}
