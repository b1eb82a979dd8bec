package io.cais.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Map;

/**
 * Slows down whoever keeps failing to log in. It throttles the failing <em>source</em> (client address), per
 * account and as a whole, never the account itself: an attacker guessing a robot's secret from one address does
 * not lock out the kubelets that present the right secret from theirs. After {@code failures} failures in a row
 * for one account from one address (or {@code source-failures} for any accounts from it), that source waits a
 * delay that doubles with each further failure up to {@code max-delay}; while it waits, its attempts are answered
 * 429 without checking the credentials, so guessing gains nothing. A success clears its account's count.
 *
 * <p>State is per replica and in memory: behind N replicas a source gets at most N times the attempts, which
 * still turns a brute force from millions of guesses an hour into a few hundred.
 */
@ApplicationScoped
public class LoginThrottle {

    private final AuthConfig.Throttle config;
    private final Cache<String, Backoff> sources;

    LoginThrottle(AuthConfig auth) {
        this.config = auth.throttle();
        this.sources = Caffeine.newBuilder().maximumSize(100_000)
                .expireAfterAccess(config.maxDelay().multipliedBy(2).plusMinutes(1)).build();
    }

    /** 429 with {@code Retry-After} while the source (for this account, or as a whole) must wait. */
    public void check(String source, String account) {
        long now = System.nanoTime();
        long wait = Math.max(waiting(source, now), waiting(key(source, account), now));
        if (wait > 0) {
            long seconds = Math.max(1, Duration.ofNanos(wait).toSeconds() + (wait % 1_000_000_000L == 0 ? 0 : 1));
            throw new RegistryException(ErrorCode.TOOMANYREQUESTS, "too many failed logins from this address; retry later",
                    Map.of("retryAfterSeconds", seconds)).withHeaders(Map.of("Retry-After", Long.toString(seconds)));
        }
    }

    public void failed(String source, String account) {
        long now = System.nanoTime();
        sources.asMap().compute(source, (key, backoff) -> next(backoff, config.sourceFailures(), now));
        sources.asMap().compute(key(source, account), (key, backoff) -> next(backoff, config.failures(), now));
    }

    public void succeeded(String source, String account) {
        sources.invalidate(key(source, account));
    }

    private long waiting(String key, long now) {
        Backoff backoff = sources.getIfPresent(key);
        return backoff == null ? 0 : backoff.until() - now;
    }

    private Backoff next(Backoff previous, int allowed, long now) {
        int failures = previous == null ? 1 : previous.failures() + 1;
        if (failures < allowed) {
            return new Backoff(failures, now);
        }
        int doublings = Math.min(failures - allowed, 30);
        long delay = Math.min(config.initialDelay().toNanos() << doublings, config.maxDelay().toNanos());
        return new Backoff(failures, now + delay);
    }

    private static String key(String source, String account) {
        return source + '\u0000' + account;
    }

    private record Backoff(int failures, long until) {
    }
}
