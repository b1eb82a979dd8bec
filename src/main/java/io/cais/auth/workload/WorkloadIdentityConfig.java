package io.cais.auth.workload;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** Workload identity (trusted issuers, pull audit). Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.workload-identity")
public interface WorkloadIdentityConfig {

    /**
     * The audience a trusted issuer's tokens must carry when its registration names none. Default: the service name
     * ({@code cais.auth.service}), which is also what the kubelet is told to ask for.
     */
    Optional<String> defaultAudience();

    /** How often each replica writes the workload pulls it saw to PostgreSQL (and at shutdown). */
    @WithDefault("PT5S")
    Duration auditFlushInterval();
}
