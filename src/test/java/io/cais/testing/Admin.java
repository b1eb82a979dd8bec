package io.cais.testing;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The server administrator the tests run as (its password is set by the test profile and by RegistryProcess). */
public final class Admin {

    public static final String USER = "admin";
    public static final String PASSWORD = "test-admin-password";

    private Admin() {
    }

    public static String basic() {
        return basic(USER, PASSWORD);
    }

    public static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
