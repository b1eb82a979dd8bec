package io.cais.auth;

import io.smallrye.config.ConfigMapping;

import java.util.Optional;

/** The server-wide administrator created on first start. */
@ConfigMapping(prefix = "cais.admin")
public interface AdminConfig {

    /**
     * Initial password of the {@code admin} user (also read from the environment variable
     * {@code CAIS_ADMIN_PASSWORD}). When unset, a random password is generated and logged once.
     */
    Optional<String> initialPassword();
}
