package io.cais.content;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;

/**
 * The repository name grammar of the OCI Distribution Specification. Enforced strictly: names become
 * database keys and URL parts, and a lax check is how path traversal got into other registries.
 */
public final class RepositoryName {

    public static final int MAX_LENGTH = 255;

    /**
     * The spec's grammar, {@code [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*}, checked
     * in one pass without a regex: every manifest HEAD checks a name, and the regex engine cost twice this loop in
     * the HEAD profile. RepositoryNameTest holds this loop to the regex over generated names.
     */
    public static boolean isValid(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
            return false;
        }
        char separator = 0; // the separator run since the last alphanumeric, 0 right after one
        int run = 0;
        boolean afterAlphanumeric = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                afterAlphanumeric = true;
                separator = 0;
                run = 0;
            } else if (c == '/' || c == '.' || c == '_' || c == '-') {
                boolean extendsRun = run > 0 && c == separator && (c == '-' || (c == '_' && run == 1));
                if (!afterAlphanumeric && !extendsRun) {
                    return false;
                }
                afterAlphanumeric = false;
                separator = c;
                run++;
            } else {
                return false;
            }
        }
        return afterAlphanumeric;
    }

    /** Returns the name when it is valid, else fails with NAME_INVALID. */
    public static String require(String name) {
        if (!isValid(name)) {
            throw new RegistryException(ErrorCode.NAME_INVALID, "invalid repository name", name);
        }
        return name;
    }
}
