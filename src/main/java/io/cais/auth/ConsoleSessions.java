package io.cais.auth;

import io.cais.console.ConsoleConfig;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.observability.AuthMetrics;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.Priorities;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.core.ResteasyReactiveRequestContext;
import org.jboss.resteasy.reactive.server.spi.ResteasyReactiveContainerRequestContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;

/**
 * Sign-in to the web console ({@code /ui}) and who a console request comes from. A session is a cookie
 * ({@code cais_session}: {@code HttpOnly}, {@code SameSite=Strict}, {@code Secure} when the request came over
 * https, path {@code /ui}) holding a JWT that {@link Tokens} signs with the registry's signing keys, which live in
 * PostgreSQL: every replica verifies it, and nothing about sessions is kept anywhere. It names the user and is bound
 * to their password's fingerprint, so a password change ends it. It is read only on {@code /ui} routes, where the
 * {@code Authorization} header is ignored: the admin API keeps taking only Basic passwords, and the cookie's path
 * keeps browsers from sending it anywhere else. Every form {@code POST} under {@code /ui} carries a CSRF token
 * ({@value #CSRF_FIELD}) derived from the session cookie (the sign-in form: equal to a cookie of its own); a form
 * without it is refused before its handler runs.
 */
@ApplicationScoped
public class ConsoleSessions {

    public static final String SESSION_COOKIE = "cais_session";
    public static final String LOGIN_COOKIE = "cais_login";
    public static final String CSRF_FIELD = "_csrf";
    public static final String LOGIN_PATH = "/ui/login";
    private static final String CONSOLE_PATH = "/ui";

    @Inject
    Authenticator authenticator;

    @Inject
    Tokens tokens;

    @Inject
    AccessControl access;

    @Inject
    ConsoleConfig config;

    @Inject
    CurrentVertxRequest request;

    @Inject
    AuthMetrics metrics;

    /** Console requests come from their session cookie, or from nobody; before any route's rule is enforced. */
    @ConsoleRoute
    @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
    public void authenticate() {
        String session = cookie(SESSION_COOKIE);
        access.identified(session == null ? new Caller.Anonymous() : authenticator.fromConsoleSession(session)
                .<Caller>map(Caller.Member::new).orElseGet(Caller.Anonymous::new));
    }

    /** Every console form carries the CSRF token of its session (the sign-in form: of its login cookie). */
    @ConsoleRoute
    @ServerRequestFilter(readBody = true)
    public void requireCsrfToken(ResteasyReactiveContainerRequestContext context) {
        String path = context.getUriInfo().getPath();
        if (!"POST".equals(context.getMethod())) {
            return;
        }
        var reactive = (ResteasyReactiveRequestContext) context.getServerRequestContext();
        Object sent = reactive.getFormParameter(CSRF_FIELD, true, false);
        String expected = LOGIN_PATH.equals(path) ? cookie(LOGIN_COOKIE) : csrfToken();
        if (expected == null || sent == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                String.valueOf(sent).getBytes(StandardCharsets.UTF_8))) {
            metrics.failed(AuthMetrics.Failure.DENIED);
            throw new RegistryException(ErrorCode.DENIED, "the form's CSRF token is missing or wrong: reload the page and send it again");
        }
    }

    /**
     * Signs the user in with their password (throttled like every login) and sets the session cookie; 401 for
     * anything but a user's right password (robots and workloads have no console).
     */
    public void signIn(String name, String password) {
        Caller caller = authenticator.login(name == null ? "" : name, password == null ? "" : password);
        if (!(caller instanceof Caller.Member member) || member.account().isRobot()) {
            metrics.failed(AuthMetrics.Failure.INVALID_CREDENTIALS);
            throw new RegistryException(ErrorCode.UNAUTHORIZED, "the console takes a user's name and password");
        }
        access.identified(caller);
        Duration lifetime = config.sessionLifetime();
        String token = tokens.issueConsoleSession(member.account().name,
                Credentials.fingerprint(member.account().credentialHash), lifetime).token();
        setCookie(SESSION_COOKIE, token, CONSOLE_PATH, lifetime.toSeconds());
        setCookie(LOGIN_COOKIE, "", LOGIN_PATH, 0);
    }

    /** Ends the session in this browser (the cookie is a bearer credential until it expires; it is not stored). */
    public void signOut() {
        setCookie(SESSION_COOKIE, "", CONSOLE_PATH, 0);
    }

    /** The CSRF token of the current session: a hash of its cookie, which pages from another origin cannot read. */
    public String csrfToken() {
        String session = cookie(SESSION_COOKIE);
        return session == null ? null : Credentials.sha256("csrf:" + session).substring(0, 32);
    }

    /** The sign-in form's CSRF token: its login cookie's value, set here when the browser has none. */
    public String loginToken() {
        String token = cookie(LOGIN_COOKIE);
        if (token == null || token.isEmpty()) {
            token = Credentials.newSecret();
            setCookie(LOGIN_COOKIE, token, LOGIN_PATH, Duration.ofHours(1).toSeconds());
        }
        return token;
    }

    /** The user signed in to this console request, or empty. */
    public java.util.Optional<String> userName() {
        return access.caller() instanceof Caller.Member member ? java.util.Optional.of(member.account().name)
                : java.util.Optional.empty();
    }

    private String cookie(String name) {
        Cookie cookie = request.getCurrent().request().getCookie(name);
        return cookie == null ? null : cookie.getValue();
    }

    private void setCookie(String name, String value, String path, long maxAge) {
        HttpServerRequest http = request.getCurrent().request();
        Cookie cookie = Cookie.cookie(name, value).setPath(path).setHttpOnly(true).setSameSite(CookieSameSite.STRICT)
                .setSecure("https".equals(http.scheme())).setMaxAge(maxAge);
        http.response().addCookie(cookie);
    }
}
