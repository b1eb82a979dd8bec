package io.cais.platform;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.Clock;

/**
 * The clock of what Cais decides by age (pull statistics, retention): the system's, unless another {@link Clock} bean
 * replaces it — tests move a fake one forward instead of waiting days.
 */
public class Clocks {

    @Produces
    @Singleton
    @DefaultBean
    Clock system() {
        return Clock.systemUTC();
    }
}
