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
}
