package io.cais.testing;

import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The clock of every Quarkus test (it replaces the system clock bean, {@code platform.Clocks}): the system's time
 * plus an offset a test moves forward, so that "pulled within 7 days" or "untagged for 30 days" is tested without
 * waiting. Tests that move it call {@link #reset} when done.
 */
@Singleton
public class TestClock extends Clock {

    private volatile Duration offset = Duration.ZERO;

    /** Moves the clock forward (or back, with a negative duration). */
    public void advance(Duration duration) {
        offset = offset.plus(duration);
    }

    public void reset() {
        offset = Duration.ZERO;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return Instant.now().plus(offset);
    }
}
