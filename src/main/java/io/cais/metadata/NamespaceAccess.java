package io.cais.metadata;

/**
 * A namespace as the permission rules need it, with one account's role on it (null when none), and whether it serves
 * arch aliases (whose pull rights are those of the name they alias).
 */
public record NamespaceAccess(long id, String name, boolean isPublic, boolean archAliases, String role) {
}
