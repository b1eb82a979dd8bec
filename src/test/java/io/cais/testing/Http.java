package io.cais.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** A plain HTTP client for tests that talk to registry processes rather than the in-JVM test application. */
public final class Http {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private Http() {
    }

    /** Sends as the test administrator. */
    public static HttpResponse<byte[]> send(String method, String url, byte[] body, String... headers) throws IOException, InterruptedException {
        return sendAs(Admin.basic(), method, url, body, headers);
    }

    /** Sends with the given Authorization header value (null: anonymous). */
    public static HttpResponse<byte[]> sendAs(String authorization, String method, String url, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
