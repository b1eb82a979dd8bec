package io.cais.auth;

import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * Authorization is declared, not remembered (hole 5): every route the application serves under /v2, /api and
 * /auth declares its {@link Authorize} rule, and a route that declares none is refused when called.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class RouteRulesTest {

    @Test
    void everyRouteDeclaresAnAccessRule() throws Exception {
        List<String> routes = new ArrayList<>();
        List<String> undeclared = new ArrayList<>();
        for (Class<?> resource : applicationResources()) {
            for (Method method : resource.getDeclaredMethods()) {
                String verb = Arrays.stream(method.getAnnotations())
                        .map(a -> a.annotationType().getAnnotation(HttpMethod.class)).filter(java.util.Objects::nonNull)
                        .map(HttpMethod::value).findFirst().orElse(null);
                if (verb == null) {
                    continue;
                }
                String route = verb + " " + resource.getAnnotation(Path.class).value()
                        + (method.isAnnotationPresent(Path.class) ? "/" + method.getAnnotation(Path.class).value() : "");
                routes.add(route);
                if (!method.isAnnotationPresent(Authorize.class)) {
                    undeclared.add(route + " (" + resource.getSimpleName() + "." + method.getName() + ")");
                }
            }
        }
        assertThat(routes).as("the scan finds the application's routes").hasSizeGreaterThan(30)
                .anyMatch(r -> r.startsWith("HEAD /v2")).anyMatch(r -> r.startsWith("PUT /api/v1"))
                .anyMatch(r -> r.startsWith("POST /auth/token"));
        assertThat(undeclared).as("routes without an @Authorize rule").isEmpty();
    }

    @Test
    void aRouteWithoutADeclaredRuleIsRefused() {
        given().get("/api/v1/undeclared-probe").then().statusCode(403).body("errors[0].code", equalTo("DENIED"));
        given().header("Authorization", io.cais.testing.Admin.basic()).get("/api/v1/undeclared-probe").then().statusCode(403);
    }

    /** Every JAX-RS resource class compiled from src/main (the test probe below is not one of them). */
    private static List<Class<?>> applicationResources() throws Exception {
        java.nio.file.Path classes = Paths.get("target", "classes");
        List<Class<?>> resources = new ArrayList<>();
        try (Stream<java.nio.file.Path> files = Files.walk(classes)) {
            for (java.nio.file.Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = classes.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class<?> type = Class.forName(name, false, RouteRulesTest.class.getClassLoader());
                if (type.isAnnotationPresent(Path.class)) {
                    resources.add(type);
                }
            }
        }
        return resources;
    }

    /** A route someone forgot to declare: it must be closed, not open. */
    @Path("/api/v1/undeclared-probe")
    public static class UndeclaredProbe {
        @jakarta.ws.rs.GET
        public String probe() {
            return "open";
        }
    }
}
