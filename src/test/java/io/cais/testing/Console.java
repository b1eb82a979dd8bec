package io.cais.testing;

import io.restassured.response.Response;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** Signs in to the web console over plain HTTP, as a browser's form would, for tests of its routes. */
public final class Console {

    public static final String SESSION = "cais_session";
    public static final String LOGIN = "cais_login";
    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

    private Console() {
    }

    /** The sign-in form's login cookie and its CSRF field (they are equal). */
    public static String loginToken() {
        Response form = given().redirects().follow(false).get("/ui/login");
        assertThat(form.statusCode()).isEqualTo(200);
        String cookie = form.getCookie(LOGIN);
        assertThat(csrf(form.asString())).isEqualTo(cookie);
        return cookie;
    }

    /** The answer to a sign-in form sent with its token. */
    public static Response submitLogin(String user, String password) {
        String token = loginToken();
        return given().redirects().follow(false).cookie(LOGIN, token).contentType("application/x-www-form-urlencoded")
                .formParam("_csrf", token).formParam("username", user).formParam("password", password)
                .post("/ui/login");
    }

    /** Signs in; the session cookie's value. */
    public static String signIn(String user, String password) {
        Response answer = submitLogin(user, password);
        assertThat(answer.statusCode()).as(answer.asString()).isEqualTo(303);
        return answer.getCookie(SESSION);
    }

    /** The CSRF token the console's pages put into their forms for this session. */
    public static String csrfToken(String session) {
        return csrf(given().cookie(SESSION, session).get("/ui").then().statusCode(200).extract().asString());
    }

    public static String csrf(String page) {
        Matcher matcher = CSRF.matcher(page);
        assertThat(matcher.find()).as("a form with a CSRF field in the page").isTrue();
        return matcher.group(1);
    }
}
