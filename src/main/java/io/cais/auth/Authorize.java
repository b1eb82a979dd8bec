package io.cais.auth;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What a route needs before its handler runs. Every resource method under {@code /v2}, {@code /api}, {@code /auth}
 * and {@code /ui} (the web console) carries one; {@link RouteAuthorization} enforces it and denies any route that
 * declares none, so an endpoint that forgets to declare is closed, not open.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Authorize {

    Rule value();
}
