package io.cais.content;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The repository name grammar of the distribution spec. */
class RepositoryNameTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "library/alpine", "team-a/app", "a.b/c_d/e__f", "a--b", "x0/y1/z2", "k8s.gcr.io/pause"})
    void acceptsNamesOfTheGrammar(String name) {
        assertThat(RepositoryName.isValid(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "A", "a/", "/a", "a//b", "..", "a/../b", "a/./b", "-a", "a-", "a.", "_a", "a___b",
            "a._b", "a b", "a%2fb", "a\\\\b", "a:b"})
    void rejectsEverythingElse(String name) {
        assertThat(RepositoryName.isValid(name)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void limitsTheLengthTo255() {
        assertThat(RepositoryName.isValid("a".repeat(255))).isTrue();
        assertThat(RepositoryName.isValid("a".repeat(256))).isFalse();
    }

    /** The spec's regex, the oracle for the hand-written scanner. */
    private static final java.util.regex.Pattern SPEC_GRAMMAR = java.util.regex.Pattern.compile(
            "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");

    @org.junit.jupiter.api.Test
    void agreesWithTheSpecRegexOnEveryGeneratedName() {
        var random = new java.util.Random(20);
        String alphabet = "ab0/._-A:";
        int valid = 0;
        for (int n = 0; n < 200_000; n++) {
            StringBuilder name = new StringBuilder();
            int length = random.nextInt(9);
            for (int i = 0; i < length; i++) {
                name.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            boolean expected = SPEC_GRAMMAR.matcher(name).matches();
            assertThat(RepositoryName.isValid(name.toString())).as("'%s'", name).isEqualTo(expected);
            valid += expected ? 1 : 0;
        }
        assertThat(valid).as("generated names include valid ones").isGreaterThan(1000);
    }
}
