package io.cais.auth;

import io.cais.content.RepositoryName;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.Account;
import io.cais.metadata.Namespace;
import io.cais.metadata.NamespaceAccess;
import io.cais.metadata.NamespaceStore;
import io.cais.observability.AuthMetrics;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.UriInfo;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The one place that decides whether the current request may do what its route declares ({@link Rule}), for the
 * registry API and the admin API alike. Registry refusals follow Distribution's token authentication: 401 with a
 * {@code Bearer} challenge (realm, service, scope) when the caller is anonymous or its token lacks a scope it
 * could get, 403 DENIED when the caller is known and not allowed. The admin API takes only a user's password over
 * Basic: a registry token grants its {@code access} claim and nothing else.
 */
@ApplicationScoped
public class AccessControl {

    /** Where the caller of a request is kept in its routing context (the request log reads it too). */
    public static final String CALLER = "cais.caller";
    private static final String ADMIN_CHALLENGE = "Basic realm=\"cais\"";

    @Inject
    CurrentVertxRequest request;

    @Inject
    Authenticator authenticator;

    @Inject
    Permissions permissions;

    @Inject
    NamespaceStore namespaces;

    @Inject
    AuthConfig config;

    @Inject
    AuthMetrics metrics;

    /**
     * Enforces a route's declared rule; path parameters (looked up by name, not copied into a map: this runs on every
     * manifest HEAD) and, for uploads, query parameters name what the rule is about.
     */
    void enforce(Rule rule, UnaryOperator<String> path, UriInfo uri) {
        switch (rule) {
            case ANYONE -> {
            }
            case AUTHENTICATED -> requireAuthenticated();
            case CATALOG -> requireCatalog();
            case REPOSITORY_PULL -> require(repository(path), Action.PULL);
            case REPOSITORY_PUSH -> require(repository(path), Action.PUSH);
            case REPOSITORY_DELETE -> require(repository(path), Action.DELETE);
            case REPOSITORY_UPLOAD -> requireUpload(repository(path), uri.getQueryParameters());
            case USER -> user();
            case SELF_OR_SERVER_ADMIN -> requireSelfOrServerAdmin(path.apply("name"));
            case NAMESPACE_READER -> requireNamespace(path.apply("namespace"), false);
            case NAMESPACE_ADMIN -> requireNamespace(path.apply("namespace"), true);
            case SERVER_ADMIN -> requireServerAdmin();
        }
    }

    /** The caller of the current request, authenticated once per request. */
    public Caller caller() {
        RoutingContext context = request.getCurrent();
        Caller caller = context.get(CALLER);
        if (caller == null) {
            try {
                caller = authenticator.authenticate(context.request().getHeader("Authorization"));
            } catch (RegistryException e) {
                if (e.code() != ErrorCode.UNAUTHORIZED) {
                    throw e;
                }
                throw e.withHeaders(Map.of("WWW-Authenticate",
                        isAdminApi(context) ? ADMIN_CHALLENGE : challenge(null, "invalid_token")));
            }
            context.put(CALLER, caller);
        }
        return caller;
    }

    /** Records who a route authenticated by itself (the token endpoint's grants), for the request log. */
    void identified(Caller caller) {
        request.getCurrent().put(CALLER, caller);
    }

    /** The workload the current request comes from (its own token, or a registry token issued to it); else null. */
    public Workload workload() {
        return switch (caller()) {
            case Caller.Federated federated -> federated.identity().workload();
            case Caller.Bearer bearer -> bearer.workload();
            default -> null;
        };
    }

    /** Whether the caller may act, without failing (cross-repository mount falls back silently). */
    public boolean allows(String repository, Action action) {
        return allowed(caller(), repository).contains(action);
    }

    /** The calling user of an admin route (already authorized by its rule). */
    public Account user() {
        if (caller() instanceof Caller.Member member && !member.account().isRobot()) {
            return member.account();
        }
        metrics.failed(AuthMetrics.Failure.UNAUTHENTICATED);
        String message = caller() instanceof Caller.Bearer
                ? "the admin API takes a user's password over Basic, not registry tokens"
                : "the admin API needs a user's credentials";
        throw new RegistryException(ErrorCode.UNAUTHORIZED, message).withHeaders(Map.of("WWW-Authenticate", ADMIN_CHALLENGE));
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
        List<String> pullable = namespaces.pullable(who);
        Map<String, Optional<NamespaceAccess>> seen = new java.util.HashMap<>();
        return new Visibility(pullable, name -> seen
                .computeIfAbsent(Namespace.of(name), ns -> namespaces.access(ns, who))
                .map(ns -> permissions.allowed(who, ns, name).contains(Action.PULL))
                .orElse(false));
    }

    private void requireAuthenticated() {
        // Any token of ours counts, an anonymous one too: Distribution answers /v2/ to every valid token.
        if (caller() instanceof Caller.Anonymous) {
            metrics.failed(AuthMetrics.Failure.UNAUTHENTICATED);
            throw new RegistryException(ErrorCode.UNAUTHORIZED, "authentication required")
                    .withHeaders(Map.of("WWW-Authenticate", challenge(null, null)));
        }
    }

    /** A token is only good for the catalog when it was issued for {@code registry:catalog:*}. */
    private void requireCatalog() {
        if (caller() instanceof Caller.Bearer bearer && bearer.grants().stream()
                .noneMatch(grant -> Grant.REGISTRY.equals(grant.type()) && Grant.CATALOG.equals(grant.name()))) {
            metrics.failed(AuthMetrics.Failure.INSUFFICIENT_SCOPE);
            String scope = "registry:catalog:*";
            throw new RegistryException(ErrorCode.UNAUTHORIZED, "token lacks the required scope", Map.of("scope", scope))
                    .withHeaders(Map.of("WWW-Authenticate", challenge(scope, "insufficient_scope")));
        }
    }

    private void require(String repository, Action action) {
        Caller caller = caller();
        if (!allowed(caller, repository).contains(action)) {
            throw refusal(caller, repository, action, null);
        }
    }

    /**
     * Push on the target; for a mount, pull on the source too when the caller could have it. Like Distribution, a
     * caller that lacks either but could obtain both is challenged for both scopes at once, so a client that
     * follows the challenge mounts; one that may not read the source uploads instead.
     */
    private void requireUpload(String repository, MultivaluedMap<String, String> query) {
        String from = query.getFirst("from");
        boolean mounting = query.getFirst("mount") != null && query.getFirst("digest") == null
                && from != null && RepositoryName.isValid(from);
        Caller caller = caller();
        if (!allowed(caller, repository).contains(Action.PUSH)) {
            throw refusal(caller, repository, Action.PUSH, mounting ? from : null);
        }
        if (mounting && caller instanceof Caller.Bearer && !allowed(caller, from).contains(Action.PULL)
                && account(caller).map(who -> permissions.allowed(who, from).contains(Action.PULL)).orElse(false)) {
            metrics.failed(AuthMetrics.Failure.INSUFFICIENT_SCOPE);
            String scope = scope(repository, Action.PUSH) + " " + scope(from, Action.PULL);
            throw new RegistryException(ErrorCode.UNAUTHORIZED, "token lacks the required scope", Map.of("scope", scope))
                    .withHeaders(Map.of("WWW-Authenticate", challenge(scope, "insufficient_scope")));
        }
    }

    private void requireSelfOrServerAdmin(String name) {
        Account user = user();
        if (!user.serverAdmin && !user.name.equals(name)) {
            throw denied("only the user themself or a server administrator may do this");
        }
    }

    private void requireNamespace(String name, boolean asAdmin) {
        Account user = user();
        NamespaceAccess namespace = namespaces.access(name, user).orElseThrow(() ->
                new RegistryException(ErrorCode.NOT_FOUND, "namespace '" + name + "' does not exist", name));
        String refusal = namespaceRefusal(user, namespace, asAdmin);
        if (refusal != null) {
            throw denied(refusal);
        }
    }

    /** Why the user may not read (or, {@code asAdmin}, administer) the namespace; null when they may. */
    private static String namespaceRefusal(Account user, NamespaceAccess namespace, boolean asAdmin) {
        if (user.serverAdmin || "admin".equals(namespace.role())) {
            return null;
        }
        if (asAdmin) {
            return "you are not an admin of namespace '" + namespace.name() + "'";
        }
        if (namespace.role() == null && !namespace.isPublic()) {
            return "you are not a member of namespace '" + namespace.name() + "'";
        }
        return null;
    }

    /**
     * Whether the calling user would pass {@link Rule#NAMESPACE_ADMIN} on the namespace, without failing: what the
     * web console asks before it offers a form that only the namespace's admins may send.
     */
    public boolean administers(String namespace) {
        Account user = user();
        return namespaces.access(namespace, user).map(access -> namespaceRefusal(user, access, true) == null).orElse(false);
    }

    private void requireServerAdmin() {
        if (!user().serverAdmin) {
            throw denied("only a server administrator may do this");
        }
    }

    private RegistryException denied(String message) {
        metrics.failed(AuthMetrics.Failure.DENIED);
        return new RegistryException(ErrorCode.DENIED, message);
    }

    /** What the caller may do to the repository; the token endpoint grants from this too. */
    Set<Action> allowed(Caller caller, String repository) {
        return switch (caller) {
            case Caller.Anonymous anonymous -> permissions.allowed(null, repository);
            case Caller.Member member -> permissions.allowed(member.account(), repository);
            case Caller.Federated federated -> {
                // What anyone may (public namespaces), and what the rules of the repository's namespace map it to.
                Set<Action> allowed = permissions.allowed(null, repository);
                allowed.addAll(federated.identity().allowed(repository));
                yield allowed;
            }
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

    /**
     * The account behind the caller; none for nobody, for anonymous tokens (which carry no subject) and for workloads
     * (whose subjects are their issuer's, never an account's name, whatever it looks like).
     */
    private Optional<Account> account(Caller caller) {
        return switch (caller) {
            case Caller.Anonymous anonymous -> Optional.empty();
            case Caller.Member member -> Optional.of(member.account());
            case Caller.Federated federated -> Optional.empty();
            case Caller.Bearer bearer -> bearer.subject() == null || bearer.workload() != null ? Optional.empty()
                    : authenticator.find(bearer.subject());
        };
    }

    private RegistryException refusal(Caller caller, String repository, Action action, String mountSource) {
        String scope = scope(repository, action) + (mountSource == null ? "" : " " + scope(mountSource, Action.PULL));
        Optional<Account> account = account(caller);
        if (account.isEmpty() && !(caller instanceof Caller.Federated)) {
            // Nobody, or the bearer of an anonymous or a workload's token: credentials (or a token asked for this
            // scope) might help, so challenge.
            metrics.failed(AuthMetrics.Failure.UNAUTHENTICATED);
            return new RegistryException(ErrorCode.UNAUTHORIZED, "authentication required", Map.of("scope", scope))
                    .withHeaders(Map.of("WWW-Authenticate", challenge(scope, null)));
        }
        if (caller instanceof Caller.Bearer && permissions.allowed(account.get(), repository).contains(action)) {
            // The token was asked for too little: the client fetches one with this scope and retries.
            metrics.failed(AuthMetrics.Failure.INSUFFICIENT_SCOPE);
            return new RegistryException(ErrorCode.UNAUTHORIZED, "token lacks the required scope", Map.of("scope", scope))
                    .withHeaders(Map.of("WWW-Authenticate", challenge(scope, "insufficient_scope")));
        }
        metrics.failed(AuthMetrics.Failure.DENIED);
        String namespace = Namespace.of(repository);
        if (namespaces.access(namespace, null).isEmpty()) {
            return new RegistryException(ErrorCode.DENIED, "namespace '" + namespace + "' does not exist",
                    Map.of("namespace", namespace));
        }
        return new RegistryException(ErrorCode.DENIED, "requested access to the resource is denied",
                Map.of("repository", repository, "action", action.wire()));
    }

    private static String scope(String repository, Action action) {
        return "repository:" + repository + ":" + (action == Action.PUSH ? "pull,push" : action.wire());
    }

    private static String repository(UnaryOperator<String> path) {
        return RepositoryName.require(path.apply("name"));
    }

    private static boolean isAdminApi(RoutingContext context) {
        String path = context.request().path();
        return path != null && path.startsWith("/api/");
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

    /**
     * The configured external URL, else the scheme and authority this request came to. Behind a proxy that
     * terminates TLS, Quarkus' forwarded-header support (docs/configuration.md) rewrites both from
     * {@code Forwarded}/{@code X-Forwarded-*}, and only then. A request without a Host header (HTTP/1.0) gets the
     * address it arrived at.
     */
    public String externalUrl() {
        if (config.externalUrl().isPresent()) {
            String url = config.externalUrl().get();
            return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        }
        HttpServerRequest http = request.getCurrent().request();
        String authority = http.authority() != null ? http.authority().toString()
                : http.localAddress().hostAddress() + ":" + http.localAddress().port();
        return http.scheme() + "://" + authority;
    }
}
