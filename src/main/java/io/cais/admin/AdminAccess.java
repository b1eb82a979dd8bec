package io.cais.admin;

import io.cais.auth.AccessControl;
import io.cais.auth.Account;
import io.cais.auth.Authenticator;
import io.cais.auth.Caller;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.tenant.Membership;
import io.cais.tenant.Namespace;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Map;

/**
 * Who may administer what: server admins everything; a namespace's {@code admin} members its robots, members,
 * repositories and visibility. Robots never administer anything — they cannot grant themselves more.
 */
@ApplicationScoped
public class AdminAccess {

    @Inject
    AccessControl access;

    @Inject
    Authenticator authenticator;

    /** The calling user; 401 when anonymous or not a user, so robots and bad credentials are turned away. */
    public Account user() {
        Caller caller = access.caller();
        Account account = switch (caller) {
            case Caller.Anonymous anonymous -> null;
            case Caller.Member member -> member.account();
            case Caller.Bearer bearer -> authenticator.find(bearer.subject()).orElse(null);
        };
        if (account == null || account.isRobot()) {
            throw new RegistryException(ErrorCode.UNAUTHORIZED, "the admin API needs a user's credentials")
                    .withHeaders(Map.of("WWW-Authenticate", "Basic realm=\"cais\""));
        }
        return account;
    }

    public Account requireServerAdmin() {
        Account user = user();
        if (!user.serverAdmin) {
            throw new RegistryException(ErrorCode.DENIED, "only a server administrator may do this");
        }
        return user;
    }

    /** The namespace, when the caller administers it (404 when it does not exist). */
    public Namespace requireNamespaceAdmin(String name) {
        Account user = user();
        Namespace namespace = Namespaces.require(name);
        if (!user.serverAdmin && !"admin".equals(role(namespace, user))) {
            throw new RegistryException(ErrorCode.DENIED, "you are not an admin of namespace '" + name + "'");
        }
        return namespace;
    }

    /** The namespace, when the caller is at least a member of it (or it is public). */
    public Namespace requireNamespaceReader(String name) {
        Account user = user();
        Namespace namespace = Namespaces.require(name);
        if (!user.serverAdmin && role(namespace, user) == null && !"public".equals(namespace.visibility)) {
            throw new RegistryException(ErrorCode.DENIED, "you are not a member of namespace '" + name + "'");
        }
        return namespace;
    }

    static String role(Namespace namespace, Account user) {
        return Membership.<Membership>find("namespaceId = ?1 and accountId = ?2", namespace.id, user.id)
                .firstResultOptional().map(m -> m.role).orElse(null);
    }
}
