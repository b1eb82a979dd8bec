package io.cais.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cais.auth.workload.WorkloadTokens;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.Account;
import io.cais.metadata.AccountStore;
import io.cais.observability.AuthMetrics;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.Optional;

/**
 * Proves who a caller is from an {@code Authorization} header: Basic (user password, robot secret, or a workload's
 * token as the password of {@value WorkloadTokens#USERNAME}) or Bearer (a token of ours). Credentials are checked
 * against the current account row (a workload's token against the current trust configuration) on every request, so
 * deleted, expired or rotated credentials stop working at once on every replica; only the slow bcrypt comparison of
 * a user password is cached, keyed by the stored hash it was verified against.
 */
@ApplicationScoped
public class Authenticator {

    @Inject
    Tokens tokens;

    @Inject
    AccountStore accounts;

    @Inject
    AuthConfig config;

    @Inject
    LoginThrottle throttle;

    @Inject
    WorkloadTokens workloads;

    @Inject
    AuthMetrics metrics;

    @Inject
    CurrentVertxRequest request;

    /** Where the name a failed login tried is kept in the routing context, for the request log. */
    public static final String ATTEMPTED = "cais.attempted-account";

    /** Compared against for names that do not exist, so that unknown and known names cost the same bcrypt. */
    private static final String ABSENT_USER_HASH = Credentials.hashPassword(Credentials.newSecret());

    /** Name and password digest → the stored hash the password was verified against; kept credential-cache-ttl. */
    private Cache<String, String> verifiedPasswords;

    @PostConstruct
    void init() {
        verifiedPasswords = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(config.credentialCacheTtl()).build();
    }

    /** The caller named by the header; anonymous without one; 401 for anything that does not prove itself. */
    public Caller authenticate(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return new Caller.Anonymous();
        }
        int space = authorization.indexOf(' ');
        String scheme = space < 0 ? authorization : authorization.substring(0, space);
        String value = space < 0 ? "" : authorization.substring(space + 1).trim();
        if (scheme.equalsIgnoreCase("Bearer")) {
            Optional<Tokens.Claims> claims = tokens.verifyAccess(value);
            if (claims.isEmpty()) {
                throw invalid("invalid or expired token");
            }
            return new Caller.Bearer(claims.get().subject(), claims.get().access(), claims.get().workload());
        }
        if (scheme.equalsIgnoreCase("Basic")) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw invalid("malformed Basic credentials");
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw invalid("malformed Basic credentials");
            }
            return login(decoded.substring(0, colon), decoded.substring(colon + 1));
        }
        throw invalid("unsupported authorization scheme");
    }

    /**
     * A login with a name and a password or robot secret — or a workload's token as the password of
     * {@value WorkloadTokens#USERNAME} — from Basic or the OAuth2 password grant: throttled by client address
     * ({@link LoginThrottle}; a workload's attempts count against the subject its token claims), counted and
     * remembered for the request log when it fails.
     */
    public Caller login(String name, String secret) {
        String source = clientAddress();
        boolean workload = WorkloadTokens.USERNAME.equals(name);
        String attempted = workload ? WorkloadTokens.throttleKey(secret) : name;
        throttle.check(source, attempted);
        Optional<Caller> caller = workload
                ? workloads.verify(secret).<Caller>map(Caller.Federated::new)
                : verify(name, secret).<Caller>map(Caller.Member::new);
        if (caller.isPresent()) {
            throttle.succeeded(source, attempted);
            return caller.get();
        }
        throttle.failed(source, attempted);
        request.getCurrent().put(ATTEMPTED, attempted);
        throw invalid(workload ? "invalid workload token, or no rule maps its subject" : "invalid username or password");
    }

    /** The client's address: the peer, or what a trusted proxy forwarded when forwarding is configured. */
    private String clientAddress() {
        var address = request.getCurrent().request().remoteAddress();
        return address == null ? "-" : address.hostAddress();
    }

    /** The account when the name and password (or robot secret) are right and the account is usable. */
    private Optional<Account> verify(String name, String secret) {
        Account account = find(name).orElse(null);
        if (account == null) {
            // Spend what a known name costs, so that response times do not tell which names exist.
            if (name.indexOf('+') < 0) {
                Credentials.passwordMatches(ABSENT_USER_HASH, secret);
            }
            return Optional.empty();
        }
        if (!usable(account)) {
            return Optional.empty();
        }
        if (account.isRobot()) {
            return Credentials.secretMatches(account.credentialHash, secret) ? Optional.of(account) : Optional.empty();
        }
        String key = name + ":" + Credentials.sha256(secret);
        if (account.credentialHash.equals(verifiedPasswords.getIfPresent(key))) {
            return Optional.of(account);
        }
        if (!Credentials.passwordMatches(account.credentialHash, secret)) {
            return Optional.empty();
        }
        verifiedPasswords.put(key, account.credentialHash);
        return Optional.of(account);
    }

    /** The account behind a refresh token, while its credential is unchanged and it is still usable. */
    public Optional<Account> fromRefreshToken(String token) {
        return boundAccount(tokens.verifyRefresh(token));
    }

    /** The user behind a console session cookie, while their password is unchanged and the account usable. */
    public Optional<Account> fromConsoleSession(String token) {
        return boundAccount(tokens.verifyConsoleSession(token)).filter(account -> !account.isRobot());
    }

    private Optional<Account> boundAccount(Optional<Tokens.Claims> verified) {
        return verified
                .flatMap(claims -> find(claims.subject())
                        .filter(this::usable)
                        .filter(account -> Credentials.fingerprint(account.credentialHash).equals(claims.fingerprint())));
    }

    /** The account of that name, if any. */
    public Optional<Account> find(String name) {
        return accounts.find(name);
    }

    private boolean usable(Account account) {
        return account.expiresAt == null || account.expiresAt.isAfter(OffsetDateTime.now());
    }

    /** Every credential that does not prove itself is counted as such, whatever route it came to. */
    private RegistryException invalid(String message) {
        metrics.failed(AuthMetrics.Failure.INVALID_CREDENTIALS);
        return new RegistryException(ErrorCode.UNAUTHORIZED, message);
    }
}
