package io.cais;

import io.cais.metadata.postgres.EmbeddedDatabase;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

import java.util.Optional;

/** Entry point: brings up the embedded database when none is configured, then the registry. */
@QuarkusMain
public class CaisMain {

    public static void main(String... args) throws Exception {
        Optional<EmbeddedDatabase> embedded;
        try {
            embedded = EmbeddedDatabase.startIfNeeded();
        } catch (IllegalStateException noDatabase) {
            // One line an operator can act on, not a stack trace.
            System.err.println("cais: " + noDatabase.getMessage());
            System.exit(2);
            return;
        }
        try {
            Quarkus.run(args);
        } finally {
            if (embedded.isPresent()) {
                embedded.get().close();
            }
        }
    }
}
