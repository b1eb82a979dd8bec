package io.cais.auth;

import io.cais.auth.workload.VerifiedWorkload;
import io.cais.auth.workload.WorkloadTokens;
import io.cais.metadata.Account;

import java.util.List;

/**
 * Who is calling: nobody, an account proven by its credentials, a workload proven by a token of an issuer a
 * namespace trusts, or the bearer of a token of ours.
 */
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
     * A workload authenticated with a token of an issuer some namespace trusts (Basic, as the password of
     * {@link WorkloadTokens#USERNAME}): what that namespace's rules map its subject to.
     */
    record Federated(VerifiedWorkload identity) implements Caller {
        @Override
        public String name() {
            return identity.workload().subject();
        }
    }

    /**
     * Authenticated with a bearer token: exactly the access the token grants, nothing looked up. An anonymous
     * token has no subject ({@code null}), so no account name, whatever accounts exist, can stand for it. A token
     * issued to a workload names it ({@code workload}, else null); its subject is the workload's, never an account.
     */
    record Bearer(String subject, List<Grant> grants, Workload workload) implements Caller {
        @Override
        public String name() {
            return subject == null ? "anonymous" : subject;
        }
    }
}
