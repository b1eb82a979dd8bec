package io.cais.metadata;

/** A namespace as the permission rules need it, with one account's role on it (null when none). */
public record NamespaceAccess(long id, String name, boolean isPublic, String role) {
}
