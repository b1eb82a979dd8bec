package io.cais.console;

import io.cais.testing.Admin;
import io.cais.testing.BehindProxyProfile;
import io.cais.testing.Console;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** Behind a TLS-terminating proxy (X-Forwarded-Proto: https) the console's session cookie is Secure. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
@TestProfile(BehindProxyProfile.class)
class ConsoleBehindProxyTest {

    @Test
    void theSessionCookieIsSecureWhenTheRequestCameOverHttps() {
        String token = Console.loginToken();
        Response answer = given().redirects().follow(false).header("X-Forwarded-Proto", "https")
                .cookie(Console.LOGIN, token).contentType("application/x-www-form-urlencoded").formParam("_csrf", token)
                .formParam("username", Admin.USER).formParam("password", Admin.PASSWORD).post("/ui/login");
        assertThat(answer.statusCode()).isEqualTo(303);
        assertThat(answer.headers().getValues("Set-Cookie")).anyMatch(cookie -> cookie.startsWith(Console.SESSION + "=")
                && cookie.contains("Secure") && cookie.toLowerCase(java.util.Locale.ROOT).contains("httponly") && cookie.contains("SameSite=Strict"));
    }
}
