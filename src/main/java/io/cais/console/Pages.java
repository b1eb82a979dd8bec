package io.cais.console;

import io.cais.auth.AccessControl;
import io.cais.auth.ConsoleSessions;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.quarkus.qute.Engine;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Renders the console's pages: every page gets the signed-in user, the session's CSRF token for its forms and
 * whether the user is a server administrator (for the links only; each route enforces its own rule). Refusals
 * become pages too: a request without a session goes to the sign-in page and comes back after it.
 */
@ApplicationScoped
public class Pages {

    @Inject
    Engine engine;

    @Inject
    ConsoleSessions sessions;

    @Inject
    AccessControl access;

    @Inject
    CurrentVertxRequest request;

    /** The template {@code console/<name>.html} with the page's data and the layout's. */
    public TemplateInstance page(String name) {
        TemplateInstance page = engine.getTemplate("console/" + name).instance();
        sessions.userName().ifPresent(user -> page.data("user", user)
                .data("serverAdmin", access.user().serverAdmin)
                .data("csrf", sessions.csrfToken()));
        return page;
    }

    /** After a form: back to a page (303: the browser follows with a GET, and reloading does not send the form again). */
    public static Response seeOther(String path) {
        return Response.seeOther(URI.create(path)).build();
    }

    /** A refusal or failure of a console route, as a page; no session: to the sign-in page, and back afterwards. */
    public Response error(RegistryException e) {
        if (e.code() == ErrorCode.UNAUTHORIZED && sessions.userName().isEmpty()) {
            var http = request.getCurrent().request();
            String back = http.uri();
            boolean form = "POST".equals(http.method().name());
            return seeOther(ConsoleSessions.LOGIN_PATH + (form ? "" : "?next=" + URLEncoder.encode(back, StandardCharsets.UTF_8)));
        }
        return Response.status(e.status()).type(MediaType.TEXT_HTML_TYPE)
                .entity(page("error.html").data("status", e.status()).data("code", e.code().name())
                        .data("message", e.getMessage()).render()).build();
    }
}
