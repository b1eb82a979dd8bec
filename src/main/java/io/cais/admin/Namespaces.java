package io.cais.admin;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;

import java.util.regex.Pattern;

/** The name rule of namespaces: one component of the repository name grammar. */
final class Namespaces {

    static final Pattern NAME = Pattern.compile("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*");

    private Namespaces() {
    }

    static String validName(String name) {
        if (name == null || name.length() > 64 || !NAME.matcher(name).matches()) {
            throw new RegistryException(ErrorCode.NAME_INVALID,
                    "a namespace name is lowercase letters and digits, separated by '.', '_', '__' or dashes (at most 64)", name);
        }
        return name;
    }
}
