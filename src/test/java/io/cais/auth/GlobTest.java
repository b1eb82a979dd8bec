package io.cais.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Robot repository patterns: {@code *} any run (slashes too), {@code ?} one character, no regex semantics. */
class GlobTest {

    @ParameterizedTest(name = "{0} vs {1}: {2}")
    @CsvSource({
            "*, anything/at/all, true",
            "*, '', true",
            "app, app, true",
            "app, app2, false",
            "app-*, app-1, true",
            "app-*, app-, true",
            "app-*, tools/app-1, false",
            "*-dev, web/api-dev, true",
            "*-dev, api-devx, false",
            "a*b*c, abc, true",
            "a*b*c, axxbyyc, true",
            "a*b*c, acb, false",
            "a*a, a, false",
            "a*a, aa, true",
            "ap?, app, true",
            "ap?, ap, false",
            "?*?, ab, true",
            "?*?, a, false",
            "t?ols/*, tools/x, true",
            "a.b, axb, false",
            "a+b, a+b, true",
            "**, x, true",
    })
    void matchesLikeAGlob(String pattern, String name, boolean expected) {
        assertThat(Glob.parse(pattern).matches(name)).isEqualTo(expected);
    }

    /** A backtracking regex takes minutes on this; the piecewise match makes one pass per piece. */
    @Test
    void pathologicalPatternsMatchWithoutBacktracking() {
        Glob glob = Glob.parse("*a*a*a*a*a*a*a*b");
        String name = "a".repeat(255);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (int i = 0; i < 1_000; i++) {
                assertThat(glob.matches(name)).isFalse();
            }
        });
        assertThat(glob.matches(name + "b")).isTrue();
    }

    @Test
    void wildcardsAreCounted() {
        assertThat(Glob.wildcards("a*b?c*")).isEqualTo(3);
        assertThat(Glob.wildcards("plain")).isZero();
    }
}
