package io.cais.auth;

import jakarta.ws.rs.NameBinding;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the console's resources: only their requests have their form read before the handler, for the CSRF check
 * ({@link ConsoleSessions#requireCsrfToken}). A filter that read every form would take the parsing of the token
 * endpoint's forms from it, and with it the {@code 400} a malformed form gets.
 */
@NameBinding
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
public @interface ConsoleForms {
}
