package io.cais.auth;

import io.cais.metadata.Account;

import java.util.List;

/** Who is calling: nobody, an account proven by its credentials, or the bearer of a token. */
public sealed interface Caller {

    String name();

    record Anonymous() implements Caller {
        @Override
        public String name() {
            return "anonymous";
        }
    }

    /** Authenticated with a password or robot secret (Basic), or through a refresh token. */
    record Member(Account account) implements Caller {
        @Override
        public String name() {
            return account.name;
        }
    }

    /**
     * Authenticated with a bearer token: exactly the access the token grants, nothing looked up. An anonymous
     * token has no subject ({@code null}), so no account name, whatever accounts exist, can stand for it.
     */
    record Bearer(String subject, List<Grant> grants) implements Caller {
        @Override
        public String name() {
            return subject == null ? "anonymous" : subject;
        }
    }
}
