package io.cais.deploy;

import io.cais.testing.Commands;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** First contact: building with a JDK that is too old says so in one line, with what to do. */
class BuildRequirementsTest {

    /** The machine's default JDK (Debian 12's): the one a new user's `mvn` picks up. */
    private static final Path OLD_JDK = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");

    @Test
    void aJdkOlderThan21StopsTheBuildWithOneLineSayingWhatToDo() throws Exception {
        assertThat(OLD_JDK.resolve("bin/java")).as("a JDK 17 to build with, as on the machines this runs on").satisfies(Files::isExecutable);
        Path mvn = Commands.require("mvn", "install Maven: apt-get install -y maven");
        Commands.Result result = Commands.run(Path.of("."), Map.of("JAVA_HOME", OLD_JDK.toString()), null,
                Duration.ofMinutes(3), mvn.toString(), "-B", "-q", "validate");
        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        assertThat(result.stdout() + result.stderr()).as(result.describe())
                .contains("Cais needs a JDK 21 or newer to build: point Maven at one, e.g. export JAVA_HOME=")
                .doesNotContain("UnsupportedClassVersionError");
    }
}
