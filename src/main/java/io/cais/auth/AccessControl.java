package io.cais.auth;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.observability.AuthMetrics;
import io.cais.tenant.Namespace;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The one place that decides whether the current request may act on a repository. Every /v2 endpoint asks it
 * before doing anything. Refusals follow Distribution's token authentication: 401 with a {@code Bearer}
 * challenge (realm, service, scope) when the caller is anonymous or its token lacks a scope it could get, 403
 * DENIED when the caller is known and not allowed.
 */
@ApplicationScoped
public class AccessControl {

    /** Where the caller of a request is kept in its routing context (the request log reads it too). */
    public static final String CALLER = "cais.caller";

    @Inject
    CurrentVertxRequest request;

    @Inject
    Authenticator authenticator;

    @Inject
    Permissions permissions;

    @Inject
    AuthConfig config;

    @Inject
    AuthMetrics metrics;

    /** The caller of the current request, authenticated once per request. */
    public Caller caller() {
        RoutingContext context = request.getCurrent();
        Caller caller = context.get(CALLER);
        if (caller == null) {
            try {
                caller = authenticator.authenticate(context.request().getHeader("Authorization"));
            } catch (RegistryException e) {
                metrics.failed(AuthMetrics.Failure.INVALID_CREDENTIALS);
                throw e.withHeaders(Map.of("WWW-Authenticate", challenge(null, "invalid_token")));
            }
            context.put(CALLER, caller);
        }
        return caller;
    }

    /** For {@code GET /v2/}: any authenticated caller. */
    public void requireAuthenticated() {
        if (caller() instanceof Caller.Anonymous) {
            metrics.failed(AuthMetrics.Failure.UNAUTHENTICATED);
            throw new RegistryException(ErrorCode.UNAUTHORIZED, "authentication required")
                    .withHeaders(Map.of("WWW-Authenticate", challenge(null, null)));
        }
    }

    public void require(String repository, Action action) {
        Caller caller = caller();
        if (!allowed(caller, repository).contains(action)) {
            throw refusal(caller, repository, action);
        }
    }

    /** Whether the caller may act, without failing (cross-repository mount falls back silently). */
    public boolean allows(String repository, Action action) {
        return allowed(caller(), repository).contains(action);
    }

    /** Which repositories the caller may see in the catalog. */
    public record Visibility(List<String> namespaces, Predicate<String> repositories) {
        public static Visibility all() {
            return new Visibility(null, name -> true);
        }
    }

    public Visibility catalogVisibility() {
        Optional<Account> account = account(caller());
        if (account.isPresent() && account.get().serverAdmin) {
            return Visibility.all();
        }
        Account who = account.orElse(null);
        List<String> namespaces = permissions.pullableNamespaces(who);
        Map<String, Optional<Permissions.NamespaceAccess>> seen = new java.util.HashMap<>();
        return new Visibility(namespaces, name -> seen
                .computeIfAbsent(Namespace.of(name), ns -> permissions.namespace(ns, who))
                .map(ns -> permissions.allowed(who, ns, name).contains(Action.PULL))
                .orElse(false));
    }

    private Set<Action> allowed(Caller caller, String repository) {
        return switch (caller) {
            case Caller.Anonymous anonymous -> permissions.allowed(null, repository);
            case Caller.Member member -> permissions.allowed(member.account(), repository);
            case Caller.Bearer bearer -> {
                Set<Action> granted = EnumSet.noneOf(Action.class);
                for (Grant grant : bearer.grants()) {
                    if (Grant.REPOSITORY.equals(grant.type()) && grant.name().equals(repository)) {
                        granted.addAll(grant.actions());
                    }
                }
                yield granted;
            }
        };
    }

    private Optional<Account> account(Caller caller) {
        return switch (caller) {
            case Caller.Anonymous anonymous -> Optional.empty();
            case Caller.Member member -> Optional.of(member.account());
            case Caller.Bearer bearer -> authenticator.find(bearer.subject());
        };
    }

    private RegistryException refusal(Caller caller, String repository, Action action) {
        String scope = "repository:" + repository + ":" + (action == Action.PUSH ? "pull,push" : action.wire());
        Optional<Account> account = account(caller);
        if (account.isEmpty()) {
            // Nobody, or the bearer of an anonymous token: credentials might help, so challenge.
            metrics.failed(AuthMetrics.Failure.UNAUTHENTICATED);
            return new RegistryException(ErrorCode.UNAUTHORIZED, "authentication required", Map.of("scope", scope))
                    .withHeaders(Map.of("WWW-Authenticate", challenge(scope, null)));
        }
        if (caller instanceof Caller.Bearer && account.isPresent()
                && permissions.allowed(account.get(), repository).contains(action)) {
            // The token was asked for too little: the client fetches one with this scope and retries.
            metrics.failed(AuthMetrics.Failure.INSUFFICIENT_SCOPE);
            return new RegistryException(ErrorCode.UNAUTHORIZED, "token lacks the required scope", Map.of("scope", scope))
                    .withHeaders(Map.of("WWW-Authenticate", challenge(scope, "insufficient_scope")));
        }
        metrics.failed(AuthMetrics.Failure.DENIED);
        String namespace = Namespace.of(repository);
        if (permissions.namespace(namespace, null).isEmpty()) {
            return new RegistryException(ErrorCode.DENIED, "namespace '" + namespace + "' does not exist",
                    Map.of("namespace", namespace));
        }
        return new RegistryException(ErrorCode.DENIED, "requested access to the resource is denied",
                Map.of("repository", repository, "action", action.wire()));
    }

    /** {@code Bearer realm="<external-url>/auth/token",service="…"[,scope="…"][,error="…"]}. */
    public String challenge(String scope, String error) {
        StringBuilder header = new StringBuilder("Bearer realm=\"").append(externalUrl()).append("/auth/token\",service=\"")
                .append(config.service()).append('"');
        if (scope != null) {
            header.append(",scope=\"").append(scope).append('"');
        }
        if (error != null) {
            header.append(",error=\"").append(error).append('"');
        }
        return header.toString();
    }

    /** The configured external URL, else the scheme and host this request came to. */
    public String externalUrl() {
        if (config.externalUrl().isPresent()) {
            String url = config.externalUrl().get();
            return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        }
        var http = request.getCurrent().request();
        String host = http.getHeader("Host");
        return http.scheme() + "://" + (host != null ? host : http.authority().toString());
    }
}
