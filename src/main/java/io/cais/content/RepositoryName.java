package io.cais.content;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;

import java.util.regex.Pattern;

/**
 * The repository name grammar of the OCI Distribution Specification. Enforced strictly: names become
 * database keys and URL parts, and a lax check is how path traversal got into other registries.
 */
public final class RepositoryName {

    public static final int MAX_LENGTH = 255;

    private static final Pattern GRAMMAR = Pattern.compile(
            "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");

    private RepositoryName() {
    }

    public static boolean isValid(String name) {
        return name != null && name.length() <= MAX_LENGTH && GRAMMAR.matcher(name).matches();
    }

    /** Returns the name when it is valid, else fails with NAME_INVALID. */
    public static String require(String name) {
        if (!isValid(name)) {
            throw new RegistryException(ErrorCode.NAME_INVALID, "invalid repository name", name);
        }
        return name;
    }
}
