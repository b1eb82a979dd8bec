package io.cais.auth;

/**
 * The access rules routes declare with {@link Authorize}. Rules that name a repository or namespace take it from
 * the route's path parameter of the stated name, as Distribution derives its access records from the route.
 */
public enum Rule {
    /** Anyone: the route proves or issues credentials itself (the token endpoint, the public key set). */
    ANYONE,
    /** Any caller with valid credentials or a token ({@code GET /v2/}). */
    AUTHENTICATED,
    /** The catalog: a token must carry {@code registry:catalog:*}; entries are then filtered by pull rights. */
    CATALOG,
    /**
     * {@code pull} on the repository in path parameter {@code name}; for a name served as an arch alias, that is pull
     * on the name it is an alias of ({@link Permissions}).
     */
    REPOSITORY_PULL,
    /** {@code push} on the repository in path parameter {@code name}. */
    REPOSITORY_PUSH,
    /**
     * {@code push} on {@code name}; for a mount ({@code ?mount=&from=}) also {@code pull} on {@code from}, which a
     * caller that could obtain it is challenged for; without it the mount falls back to an upload.
     */
    REPOSITORY_UPLOAD,
    /** {@code delete} on the repository in path parameter {@code name}. */
    REPOSITORY_DELETE,
    /** A user (not a robot) proven by password over Basic: the admin API never takes registry tokens. */
    USER,
    /** The user named by path parameter {@code name}, or a server admin. */
    SELF_OR_SERVER_ADMIN,
    /** A member of the namespace in path parameter {@code namespace} (or anyone's, when it is public). */
    NAMESPACE_READER,
    /** An {@code admin} member of the namespace in path parameter {@code namespace}, or a server admin. */
    NAMESPACE_ADMIN,
    /** A server administrator. */
    SERVER_ADMIN
}
