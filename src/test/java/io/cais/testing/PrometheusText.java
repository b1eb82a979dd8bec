package io.cais.testing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads samples out of a /q/metrics answer (Prometheus text format), however the test fetched it. */
public final class PrometheusText {

    private PrometheusText() {
    }

    /** The sum of every sample of {@code name} (all tag combinations); fails when there is none. */
    public static double value(String metrics, String name) {
        Matcher sample = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*})? (\\S+)$").matcher(metrics);
        double sum = 0;
        boolean found = false;
        while (sample.find()) {
            sum += Double.parseDouble(sample.group(1));
            found = true;
        }
        assertThat(found).as("metric %s in:\n%s", name, metrics).isTrue();
        return sum;
    }
}
