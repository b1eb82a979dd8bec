package io.cais.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** Registry authentication. Every property is listed in docs/configuration.md. */
@ConfigMapping(prefix = "cais.auth")
public interface AuthConfig {

    /** The service name in challenges and tokens ({@code service=} and the token audience). */
    @WithDefault("cais")
    String service();

    /**
     * The registry's external URL, e.g. {@code https://registry.example.com}; used for the token realm and the
     * host of exported credentials. Default: derived from each request's scheme and Host header.
     */
    Optional<String> externalUrl();

    /** Lifetime of access tokens. */
    @WithDefault("PT5M")
    Duration tokenLifetime();

    /** Lifetime of refresh tokens (OAuth2 flow of docker and containerd); a credential change revokes them. */
    @WithDefault("P30D")
    Duration refreshTokenLifetime();

    /** How long a verified user password is remembered, so that bursts of logins do not each cost a bcrypt. */
    @WithDefault("PT1M")
    Duration credentialCacheTtl();

    /** Backoff for failed logins, by client address (see {@link LoginThrottle}). */
    Throttle throttle();

    interface Throttle {

        /** Failures in a row for one account from one address before that address must wait. */
        @WithDefault("5")
        int failures();

        /** Failures (any accounts) from one address before that address must wait for every account. */
        @WithDefault("50")
        int sourceFailures();

        /** The first wait; it doubles with every further failure. */
        @WithDefault("PT1S")
        Duration initialDelay();

        /** The longest wait. */
        @WithDefault("PT5M")
        Duration maxDelay();
    }
}
