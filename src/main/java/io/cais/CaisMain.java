package io.cais;

import io.cais.platform.EmbeddedDatabase;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

import java.util.Optional;

/** Entry point: brings up the embedded database when none is configured, then the registry. */
@QuarkusMain
public class CaisMain {

    public static void main(String... args) throws Exception {
        Optional<EmbeddedDatabase> embedded = EmbeddedDatabase.startIfNeeded();
        try {
            Quarkus.run(args);
        } finally {
            if (embedded.isPresent()) {
                embedded.get().close();
            }
        }
    }
}
