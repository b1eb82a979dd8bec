package io.cais.auth;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Proves who a caller is from an {@code Authorization} header: Basic (user password or robot secret) or Bearer
 * (a token of ours). Credentials are checked against the current account row on every request, so deleted,
 * expired or rotated credentials stop working at once on every replica; only the slow bcrypt comparison of a
 * user password is cached, keyed by the stored hash it was verified against.
 */
@ApplicationScoped
public class Authenticator {

    @Inject
    Tokens tokens;

    @Inject
    AuthConfig config;

    private final Map<String, Verified> verifiedPasswords = new ConcurrentHashMap<>();

    private record Verified(String credentialHash, Instant until) {
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
            return tokens.verifyAccess(value)
                    .map(claims -> (Caller) new Caller.Bearer(claims.subject(), claims.access()))
                    .orElseThrow(() -> invalid("invalid or expired token"));
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
            return new Caller.Member(verify(decoded.substring(0, colon), decoded.substring(colon + 1))
                    .orElseThrow(() -> invalid("invalid username or password")));
        }
        throw invalid("unsupported authorization scheme");
    }

    /** The account when the name and password (or robot secret) are right and the account is usable. */
    public Optional<Account> verify(String name, String secret) {
        Account account = find(name).orElse(null);
        if (account == null || !usable(account)) {
            return Optional.empty();
        }
        if (account.isRobot()) {
            return Credentials.secretMatches(account.credentialHash, secret) ? Optional.of(account) : Optional.empty();
        }
        String key = name + ":" + Credentials.sha256(secret);
        Verified verified = verifiedPasswords.get(key);
        if (verified != null && verified.credentialHash().equals(account.credentialHash)
                && verified.until().isAfter(Instant.now())) {
            return Optional.of(account);
        }
        if (!Credentials.passwordMatches(account.credentialHash, secret)) {
            return Optional.empty();
        }
        if (verifiedPasswords.size() > 10_000) {
            verifiedPasswords.clear();
        }
        verifiedPasswords.put(key, new Verified(account.credentialHash, Instant.now().plus(config.credentialCacheTtl())));
        return Optional.of(account);
    }

    /** The account behind a refresh token, while its credential is unchanged and it is still usable. */
    public Optional<Account> fromRefreshToken(String token) {
        return tokens.verifyRefresh(token)
                .flatMap(claims -> find(claims.subject())
                        .filter(this::usable)
                        .filter(account -> Credentials.fingerprint(account.credentialHash).equals(claims.fingerprint())));
    }

    public Optional<Account> find(String name) {
        return QuarkusTransaction.joiningExisting().call(() -> Account.<Account>find("name", name).firstResultOptional());
    }

    private boolean usable(Account account) {
        return account.expiresAt == null || account.expiresAt.isAfter(OffsetDateTime.now());
    }

    private static RegistryException invalid(String message) {
        return new RegistryException(ErrorCode.UNAUTHORIZED, message);
    }
}
