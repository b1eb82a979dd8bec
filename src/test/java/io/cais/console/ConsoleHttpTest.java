package io.cais.console;

import io.cais.stats.PullStatistics;
import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.Console;
import io.cais.testing.Images;
import io.cais.testing.OciLayouts;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;

/**
 * The web console over plain HTTP: its session cookie, its CSRF protection, and that it decides access exactly as
 * the API does — by the signed-in account, through the same rules — and opens no other door.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class ConsoleHttpTest {

    @Inject
    PullStatistics statistics;

    private static final String FORM = "application/x-www-form-urlencoded";

    @Test
    void signingInSetsAnHttpOnlySameSiteStrictSessionCookieForTheConsoleOnly() {
        Response answer = Console.submitLogin(Admin.USER, Admin.PASSWORD);
        assertThat(answer.statusCode()).isEqualTo(303);
        assertThat(answer.header("Location")).endsWith("/ui");
        String cookie = answer.headers().getValues("Set-Cookie").stream().filter(c -> c.startsWith(Console.SESSION + "="))
                .findFirst().orElseThrow();
        assertThat(cookie).containsIgnoringCase("HttpOnly").contains("SameSite=Strict").contains("Path=/ui").contains("Max-Age=28800")
                .as("plain http: not Secure").doesNotContain("Secure");
    }

    @Test
    void aWrongPasswordShowsTheSignInPageAgainWithoutASession() {
        Response answer = Console.submitLogin(Admin.USER, "wrong");
        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(answer.getCookie(Console.SESSION)).isNull();
        assertThat(answer.asString()).contains("invalid username or password").contains("name=\"password\"");
    }

    @Test
    void aRobotCannotSignIn() {
        String namespace = AdminApi.namespace("console-robot", "private");
        AdminApi.Robot robot = AdminApi.robot(namespace, "ci", List.of("pull"), List.of("*"), null);
        assertThat(Console.submitLogin(robot.username(), robot.secret()).statusCode()).isEqualTo(401);
    }

    @Test
    void aPageWithoutASessionSendsTheBrowserToSignInAndBack() {
        given().redirects().follow(false).get("/ui/namespaces/library").then().statusCode(303)
                .header("Location", containsString("/ui/login?next=%2Fui%2Fnamespaces%2Flibrary"));
    }

    @Test
    void theConsoleIgnoresBasicCredentialsAndTheAdminApiIgnoresTheSessionCookie() {
        given().redirects().follow(false).header("Authorization", Admin.basic()).get("/ui").then().statusCode(303);
        String session = Console.signIn(Admin.USER, Admin.PASSWORD);
        given().cookie(Console.SESSION, session).get("/api/v1/namespaces").then().statusCode(401);
        given().cookie(Console.SESSION, session).get("/v2/").then().statusCode(401);
        given().cookie(Console.SESSION, session).get("/ui").then().statusCode(200).body(containsString("library"));
    }

    @Test
    void aTamperedSessionCookieIsNobody() {
        String session = Console.signIn(Admin.USER, Admin.PASSWORD);
        String tampered = session.substring(0, session.length() - 4) + (session.endsWith("AAAA") ? "BBBB" : "AAAA");
        given().redirects().follow(false).cookie(Console.SESSION, tampered).get("/ui").then().statusCode(303);
    }

    @Test
    void aFormWithoutTheCsrfTokenIsRefused() {
        String namespace = AdminApi.namespace("console-csrf", "private");
        String session = Console.signIn(Admin.USER, Admin.PASSWORD);
        given().cookie(Console.SESSION, session).contentType(FORM).formParam("visibility", "public")
                .post("/ui/namespaces/" + namespace + "/visibility").then().statusCode(403)
                .body(containsString("CSRF"));
        given().cookie(Console.SESSION, session).contentType(FORM).formParam("visibility", "public")
                .formParam("_csrf", "0123456789abcdef0123456789abcdef")
                .post("/ui/namespaces/" + namespace + "/visibility").then().statusCode(403);
        AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace).then().body("visibility", org.hamcrest.Matchers.equalTo("private"));

        given().redirects().follow(false).cookie(Console.SESSION, session).contentType(FORM)
                .formParam("visibility", "public").formParam("_csrf", Console.csrfToken(session))
                .post("/ui/namespaces/" + namespace + "/visibility").then().statusCode(303);
        AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace).then().body("visibility", org.hamcrest.Matchers.equalTo("public"));
    }

    @Test
    void theSignInFormWithoutItsTokenIsRefused() {
        given().contentType(FORM).formParam("username", Admin.USER).formParam("password", Admin.PASSWORD)
                .post("/ui/login").then().statusCode(403);
        String token = Console.loginToken();
        given().cookie(Console.LOGIN, token).contentType(FORM).formParam("_csrf", token + "x")
                .formParam("username", Admin.USER).formParam("password", Admin.PASSWORD).post("/ui/login").then().statusCode(403);
    }

    @Test
    void aUserOfOneNamespaceNeverSeesAnothersRepositories() {
        String mine = AdminApi.namespace("console-mine", "private");
        String theirs = AdminApi.namespace("console-theirs", "private");
        String user = AdminApi.user("console-user", "user-password-1");
        AdminApi.member(mine, user, "reader");
        Images.push(mine + "/app", "v1");
        Images.push(theirs + "/secret-app", "v1");
        String session = Console.signIn(user, "user-password-1");

        given().cookie(Console.SESSION, session).get("/ui").then().statusCode(200)
                .body(containsString(mine)).body(not(containsString(theirs)));
        given().cookie(Console.SESSION, session).get("/ui/namespaces/" + mine).then().statusCode(200)
                .body(containsString(mine + "/app"));
        given().cookie(Console.SESSION, session).get("/ui/namespaces/" + theirs).then().statusCode(403)
                .body(not(containsString("secret-app")));
        given().cookie(Console.SESSION, session).get("/ui/repositories/" + theirs + "/secret-app/-/tags").then().statusCode(403)
                .body(not(containsString("v1")));
        given().cookie(Console.SESSION, session).get("/ui/repositories/" + theirs + "/secret-app/-/manifests/v1").then().statusCode(403);
        given().cookie(Console.SESSION, session).get("/ui/namespaces/" + theirs + "/members").then().statusCode(403);
        given().cookie(Console.SESSION, session).get("/ui/namespaces/" + mine + "/robots").then().statusCode(403);
        given().cookie(Console.SESSION, session).get("/ui/gc").then().statusCode(403);
    }

    @Test
    void aPasswordChangeEndsTheSession() {
        String user = AdminApi.user("console-pw", "first-password-1");
        String session = Console.signIn(user, "first-password-1");
        given().cookie(Console.SESSION, session).get("/ui").then().statusCode(200);
        AdminApi.asAdmin().body(java.util.Map.of("password", "second-password-2")).put("/api/v1/users/" + user + "/password")
                .then().statusCode(org.hamcrest.Matchers.lessThan(300));
        given().redirects().follow(false).cookie(Console.SESSION, session).get("/ui").then().statusCode(303);
    }

    @Test
    void signingOutClearsTheCookie() {
        String session = Console.signIn(Admin.USER, Admin.PASSWORD);
        Response out = given().redirects().follow(false).cookie(Console.SESSION, session).contentType(FORM)
                .formParam("_csrf", Console.csrfToken(session)).post("/ui/logout");
        assertThat(out.statusCode()).isEqualTo(303);
        assertThat(out.headers().getValues("Set-Cookie")).anyMatch(c -> c.startsWith(Console.SESSION + "=;") && c.contains("Max-Age=0"));
    }

    @Test
    void theTagsPageSortsPagesAndFiltersOnTheServer() {
        String namespace = AdminApi.namespace("console-tags", "private");
        for (String tag : List.of("a1", "b2", "c3")) {
            Images.push(namespace + "/app", tag);
        }
        String session = Console.signIn(Admin.USER, Admin.PASSWORD);
        String page = given().cookie(Console.SESSION, session).queryParam("sort", "name").queryParam("dir", "desc")
                .queryParam("size", 2).get("/ui/repositories/" + namespace + "/app/-/tags").then().statusCode(200).extract().asString();
        assertThat(page).contains("1–2 of 3").contains("data-tag=\"c3\"").contains("data-tag=\"b2\"").doesNotContain("data-tag=\"a1\"");
        given().cookie(Console.SESSION, session).queryParam("q", "b").get("/ui/repositories/" + namespace + "/app/-/tags")
                .then().statusCode(200).body(containsString("1–1 of 1")).body(containsString("data-tag=\"b2\""));
        given().cookie(Console.SESSION, session).queryParam("sort", "nonsense").get("/ui/repositories/" + namespace + "/app/-/tags")
                .then().statusCode(400);
    }

    @Test
    void theTagsPageShowsWhoPushedPullsSortedByLastPullAndImmutableBadges() {
        String namespace = AdminApi.namespace("console-pulls", "private");
        String repo = namespace + "/app";
        String v1 = Images.push(repo, "v1");
        Images.push(repo, "dev");
        Images.push(repo, "old");
        AdminApi.tagPolicy(namespace, "releases", "immutable", List.of("v*"), List.of());
        pull(repo, "v1");
        pull(repo, "v1");
        statistics.flush();
        String session = Console.signIn(Admin.USER, Admin.PASSWORD);

        String page = given().cookie(Console.SESSION, session).queryParam("sort", "pulled").queryParam("dir", "desc")
                .get("/ui/repositories/" + repo + "/-/tags").then().statusCode(200).extract().asString();
        assertThat(page).contains("<td class=\"pushed-by\">" + Admin.USER + "</td>").contains("<td class=\"num pulls\">2</td>")
                .contains("<td class=\"last-pulled\">never</td>");
        // pulled first, then never-pulled tags by name
        assertThat(page.indexOf("data-tag=\"v1\"")).isLessThan(page.indexOf("data-tag=\"dev\""));
        assertThat(page.indexOf("data-tag=\"dev\"")).isLessThan(page.indexOf("data-tag=\"old\""));
        assertThat(page).containsOnlyOnce("badge immutable");
        assertThat(page.substring(page.indexOf("data-tag=\"v1\""), page.indexOf("data-tag=\"v1\"") + 300)).contains("badge immutable");

        String ascending = given().cookie(Console.SESSION, session).queryParam("sort", "pulled").queryParam("size", 2)
                .queryParam("page", 2).get("/ui/repositories/" + repo + "/-/tags").then().statusCode(200).extract().asString();
        assertThat(ascending).contains("3–3 of 3").contains("data-tag=\"v1\"").doesNotContain("data-tag=\"dev\"");

        given().cookie(Console.SESSION, session).get("/ui/repositories/" + repo + "/-/manifests/" + v1).then().statusCode(200)
                .body(containsString("<dd id=\"pushed-by\">" + Admin.USER + "</dd>")).body(containsString("<dd id=\"pulls\">2</dd>"));
        given().cookie(Console.SESSION, session).get("/ui/namespaces/" + namespace).then().statusCode(200)
                .body(containsString("<td class=\"last-pull\">")).body(not(containsString("<td class=\"last-pull\">never")));
    }

    @Test
    void readersSeeTagPoliciesAndOnlyAdminsChangeThemThroughTheAdminApisValidation() {
        String namespace = AdminApi.namespace("console-policies", "private");
        AdminApi.tagPolicy(namespace, "no-latest", "blocked", List.of("latest"), List.of());
        String reader = AdminApi.user("console-policy-reader", "reader-password-1");
        AdminApi.member(namespace, reader, "reader");
        String readerSession = Console.signIn(reader, "reader-password-1");
        String path = "/ui/namespaces/" + namespace + "/policies";

        given().cookie(Console.SESSION, readerSession).get(path).then().statusCode(200)
                .body(containsString("data-policy=\"no-latest\"")).body(containsString("badge blocked"))
                .body(not(containsString("Add a tag policy")));
        given().cookie(Console.SESSION, readerSession).contentType(FORM).formParam("_csrf", Console.csrfToken(readerSession))
                .formParam("name", "sneaky").formParam("kind", "blocked").formParam("tags", "v*").post(path).then().statusCode(403);
        given().cookie(Console.SESSION, readerSession).contentType(FORM).formParam("_csrf", Console.csrfToken(readerSession))
                .post(path + "/no-latest/delete").then().statusCode(403);

        String session = Console.signIn(Admin.USER, Admin.PASSWORD);
        given().cookie(Console.SESSION, session).contentType(FORM).formParam("name", "releases").formParam("kind", "immutable")
                .formParam("tags", "v*").post(path).then().statusCode(403).body(containsString("CSRF"));
        given().cookie(Console.SESSION, session).contentType(FORM).formParam("_csrf", Console.csrfToken(session))
                .formParam("name", "releases").formParam("kind", "sticky").formParam("tags", "v*").post(path).then()
                .statusCode(400).body(containsString("kind must be immutable or blocked"));
        given().redirects().follow(false).cookie(Console.SESSION, session).contentType(FORM)
                .formParam("_csrf", Console.csrfToken(session)).formParam("name", "releases").formParam("kind", "immutable")
                .formParam("tags", "v*, release-*").formParam("exclusions", "v0*").formParam("description", "pin releases")
                .post(path).then().statusCode(303);
        AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/tag-policies/releases").then().statusCode(200)
                .body("tags", org.hamcrest.Matchers.contains("v*", "release-*"))
                .body("repositories", org.hamcrest.Matchers.contains("*")).body("description", org.hamcrest.Matchers.equalTo("pin releases"));
        given().cookie(Console.SESSION, session).contentType(FORM).formParam("_csrf", Console.csrfToken(session))
                .formParam("name", "releases").formParam("kind", "immutable").formParam("tags", "v*").post(path).then()
                .statusCode(409);

        given().redirects().follow(false).cookie(Console.SESSION, session).contentType(FORM)
                .formParam("_csrf", Console.csrfToken(session)).post(path + "/no-latest/delete").then().statusCode(303);
        AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/tag-policies/no-latest").then().statusCode(404);
    }

    @Test
    void theRetentionTabShowsRulesRunsAndADryRunForAdminsOnly() {
        String namespace = AdminApi.namespace("console-retention", "private");
        String repo = namespace + "/app";
        Images.push(repo, "v1");
        Images.push(repo, "v2");
        Images.push(repo, "v3");
        AdminApi.asAdmin().body(java.util.Map.of("rules", List.of(java.util.Map.of("keepLast", 1))))
                .put("/api/v1/namespaces/" + namespace + "/retention").then().statusCode(200);
        String reader = AdminApi.user("console-retention-reader", "reader-password-1");
        AdminApi.member(namespace, reader, "reader");
        String readerSession = Console.signIn(reader, "reader-password-1");
        String path = "/ui/namespaces/" + namespace + "/retention";

        given().cookie(Console.SESSION, readerSession).get(path).then().statusCode(403);
        given().cookie(Console.SESSION, readerSession).contentType(FORM).formParam("_csrf", Console.csrfToken(readerSession))
                .post(path + "/dry-run").then().statusCode(403);

        String session = Console.signIn(Admin.USER, Admin.PASSWORD);
        given().cookie(Console.SESSION, session).get(path).then().statusCode(200)
                .body(containsString("id=\"retention-rules\"")).body(containsString("No runs yet."))
                .body(containsString("id=\"dry-run\"")).body(not(containsString("dry-run-result")));
        given().cookie(Console.SESSION, session).contentType(FORM).post(path + "/dry-run").then().statusCode(403)
                .body(containsString("CSRF"));
        String result = given().cookie(Console.SESSION, session).contentType(FORM).formParam("_csrf", Console.csrfToken(session))
                .post(path + "/dry-run").then().statusCode(200).extract().asString();
        assertThat(result).contains("<strong id=\"dry-run-tags\">2 tags</strong>").contains("<td>v1</td>").contains("<td>v2</td>")
                .doesNotContain("<td>v3</td>").contains("Nothing was deleted.");
        AdminApi.asAdmin().get("/v2/" + repo + "/tags/list").then().statusCode(200)
                .body("tags", org.hamcrest.Matchers.containsInAnyOrder("v1", "v2", "v3"));
    }

    private static void pull(String repository, String tag) {
        given().header("Authorization", Admin.basic()).accept(OciLayouts.OCI_MANIFEST)
                .get("/v2/" + repository + "/manifests/" + tag).then().statusCode(200);
    }
}
