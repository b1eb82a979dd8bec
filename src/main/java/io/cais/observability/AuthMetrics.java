package io.cais.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token issues and authentication/authorization failures. A burst of failures is a misconfigured pull secret
 * or someone guessing; the reason tag tells which, with bounded cardinality.
 */
@Singleton
public class AuthMetrics {

    /** Why a request was refused. */
    public enum Failure { INVALID_CREDENTIALS, UNAUTHENTICATED, INSUFFICIENT_SCOPE, DENIED }

    private final Counter tokensIssued;
    private final Map<Failure, Counter> failures = new ConcurrentHashMap<>();

    AuthMetrics(MeterRegistry registry) {
        tokensIssued = Counter.builder("cais.auth.tokens.issued").description("Bearer tokens issued by /auth/token")
                .register(registry);
        for (Failure failure : Failure.values()) {
            failures.put(failure, Counter.builder("cais.auth.failures")
                    .description("Requests refused with 401 or 403, by reason")
                    .tag("reason", failure.name().toLowerCase(java.util.Locale.ROOT)).register(registry));
        }
    }

    public void tokenIssued() {
        tokensIssued.increment();
    }

    public void failed(Failure failure) {
        failures.get(failure).increment();
    }
}
