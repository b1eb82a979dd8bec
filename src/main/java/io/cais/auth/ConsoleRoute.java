package io.cais.auth;

import jakarta.ws.rs.NameBinding;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the console's resources: only their requests are authenticated by session cookie
 * ({@link ConsoleSessions#authenticate}) and have their form read before the handler, for the CSRF check
 * ({@link ConsoleSessions#requireCsrfToken}). Bound, not global, so that no console filter runs on a registry
 * request (the manifest HEAD/GET path stays as short as it was), and so that a form-reading filter does not take
 * the parsing of the token endpoint's forms from it, and with it the {@code 400} a malformed form gets.
 */
@NameBinding
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
public @interface ConsoleRoute {
}
