package io.cais.auth;

import io.cais.metadata.AccountStore;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Optional;

/**
 * Creates the server-wide {@code admin} user on first start. Its password comes from
 * {@code cais.admin.initial-password} or {@code CAIS_ADMIN_PASSWORD}; without either it is generated and
 * logged once, by the one replica whose insert won.
 */
@ApplicationScoped
public class AdminBootstrap {

    private static final Logger LOG = Logger.getLogger(AdminBootstrap.class);
    public static final String ADMIN = "admin";

    @Inject
    AdminConfig config;

    @Inject
    AccountStore accounts;

    @Inject
    SigningKeys keys;

    void onStart(@Observes StartupEvent event) {
        Optional<String> configured = config.initialPassword()
                .or(() -> Optional.ofNullable(System.getenv("CAIS_ADMIN_PASSWORD")).filter(p -> !p.isBlank()));
        String password = configured.orElseGet(Credentials::newSecret);
        if (accounts.createAdminIfAbsent(ADMIN, Credentials.hashPassword(password)) && configured.isEmpty()) {
            LOG.warnf("created the server administrator '%s' with the generated password: %s"
                    + " (shown once; change it with the admin API)", ADMIN, password);
        }
        keys.current();
    }
}
