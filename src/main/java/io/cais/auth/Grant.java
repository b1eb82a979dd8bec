package io.cais.auth;

import java.util.Set;

/** Actions granted on one repository (or, with type {@code registry}, on the catalog). */
public record Grant(String type, String name, Set<Action> actions) {

    public static final String REPOSITORY = "repository";
    public static final String REGISTRY = "registry";
    public static final String CATALOG = "catalog";
}
