package io.cais.error;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.testing.Admin;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bounded, seeded fuzz run over /v2, /auth and /api: {@value #REQUESTS} requests built from real routes with
 * mutated names, references, digests, query parameters, headers and bodies, sent over raw sockets. Whatever a
 * client sends, the answer must not be a 5xx, and an error answer must be the OCI error JSON. The seed is fixed,
 * so a failure reproduces; the failing requests are printed.
 *
 * <p>To add a case, add a generator to {@link #generators}; each draws from the one {@link Random}, so adding
 * one at the end of the list changes which requests the others draw, never whether the run is reproducible.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class FuzzTest {

    private static final long SEED = 19_2026L;
    private static final int REQUESTS = 3000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
    /** Fragments that have broken registries: encodings of separators and NUL, dots, unicode, case, length. */
    private static final String[] NASTY = {"%00", "%2f", "%2F", "%2e%2e", "%25", "%ff", "%c0%af", "%e2%80%ae", "..", ".",
            "-", "_", "__", "A", "%20", "%0a", "%0d%0a", "%22", "%27", "%3c", "%5c", "x".repeat(300), "%f0%9f%90%b3", "*", "?"};

    @TestHTTPResource("/")
    URL base;

    /** A namespace of the fuzz run's own: fuzzed admin calls may delete or change it, never the shared one. */
    private String namespace;
    private String repository;
    private String digest;
    private String upload;

    /** A marker among a request's headers: send it over HTTP/1.0, without a Host header. */
    private static final String HTTP_10 = "X-Fuzz: http/1.0 without Host";

    private record RawRequest(String method, String target, List<String> headers, byte[] body) {
        String describe() {
            return method + " " + target + " " + headers + " body=" + body.length + "B";
        }
    }

    private record Answer(int status, String headers, byte[] body) {
    }

    @Test
    void noRequestIsAnsweredWithAServerErrorOrANonJsonError() throws Exception {
        prepare();
        Random random = new Random(SEED);
        List<Function<Random, RawRequest>> generators = generators();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            RawRequest request = generators.get(random.nextInt(generators.size())).apply(random);
            Answer answer = send(request);
            String problem = problem(request, answer);
            if (problem != null) {
                failures.add("#" + i + " " + request.describe() + " -> " + answer.status() + ": " + problem);
            }
        }
        assertThat(failures).as("requests answered with a server error or a non-JSON error").isEmpty();
    }

    /** A repository with a blob, a manifest and an open upload, so that fuzzed requests also reach real rows. */
    private void prepare() {
        namespace = "fuzz-" + Long.toHexString(System.nanoTime());
        given().header("Authorization", Admin.basic()).contentType("application/json")
                .body("{\"name\":\"" + namespace + "\"}").post("/api/v1/namespaces").then().statusCode(201);
        repository = namespace + "/app";
        byte[] blob = Blobs.random(1000);
        digest = Blobs.sha256(blob);
        given().header("Authorization", Admin.basic()).contentType("application/octet-stream").body(blob)
                .post("/v2/" + repository + "/blobs/uploads/?digest=" + digest).then().statusCode(201);
        String location = given().header("Authorization", Admin.basic()).post("/v2/" + repository + "/blobs/uploads/")
                .then().statusCode(202).extract().header("Location");
        upload = location.substring(location.lastIndexOf('/') + 1);
    }

    /**
     * The request shapes, including the two that once gave 500: a request over HTTP/1.0 without a Host header (the
     * challenge realm), and {@code POST /auth/token} with a malformed form encoding or a JSON body.
     */
    private List<Function<Random, RawRequest>> generators() {
        List<Function<Random, RawRequest>> generators = new ArrayList<>();
        generators.add(r -> request(r, method(r), "/v2/" + name(r) + "/blobs/" + reference(r)));
        generators.add(r -> request(r, pick(r, "POST", "GET"), "/v2/" + name(r) + "/blobs/uploads/" + uploadQuery(r)));
        generators.add(r -> request(r, method(r), "/v2/" + name(r) + "/blobs/uploads/" + pick(r, upload, token(r)) + uploadQuery(r)));
        generators.add(r -> request(r, method(r), "/v2/" + name(r) + "/manifests/" + reference(r)));
        generators.add(r -> request(r, "GET", "/v2/" + name(r) + "/tags/list" + pageQuery(r)));
        generators.add(r -> request(r, "GET", "/v2/_catalog" + pageQuery(r)));
        generators.add(r -> request(r, "GET", "/v2/" + name(r) + "/referrers/" + reference(r) + pageQuery(r)));
        generators.add(r -> request(r, method(r), "/v2/" + pick(r, "", token(r), name(r))));
        generators.add(r -> request(r, "GET", "/auth/token?" + pick(r, "service=cais&", "", "service=" + token(r) + "&")
                + "scope=repository:" + name(r) + ":" + pick(r, "pull", "push,pull", "*", token(r))));
        generators.add(r -> request(r, method(r), "/api/v1/namespaces" + pick(r, "", "/" + token(r), "/" + namespace,
                "/" + namespace + "/repositories", "/" + namespace + "/members/" + token(r), "/" + namespace + "/robots",
                "/" + namespace + "/robots/" + token(r) + "/secret")));
        generators.add(r -> request(r, method(r), "/api/v1/users" + pick(r, "", "/" + token(r), "/" + token(r) + "/password")));
        generators.add(r -> request(r, method(r), "/api/v1/signing-keys" + pick(r, "", "/" + token(r))));
        generators.add(r -> withoutHost(request(r, method(r), pick(r, "/v2/", "/v2/" + name(r) + "/tags/list", "/auth/token",
                "/api/v1/namespaces"))));
        generators.add(r -> tokenForm(r));
        return generators;
    }

    /** HTTP/1.0 allows a request without a Host header. */
    private static RawRequest withoutHost(RawRequest request) {
        List<String> headers = new ArrayList<>(request.headers());
        headers.add(HTTP_10);
        return new RawRequest(request.method(), request.target(), headers, request.body());
    }

    /** The OAuth2 token form, well and badly encoded, or not a form at all. */
    private RawRequest tokenForm(Random r) {
        String body = pick(r, "grant_type=password&username=admin&password=" + pick(r, "%s%s%n", "%", "%zz", "%E0%A4%A", token(r)),
                "grant_type=" + pick(r, "refresh_token", "client_credentials", "%00", "") + "&refresh_token=" + token(r),
                "{\"grant_type\":\"password\",\"username\":\"admin\",\"password\":\"x\"}", "&&==&", token(r));
        List<String> headers = new ArrayList<>(List.of("Content-Type: " + pick(r, "application/x-www-form-urlencoded",
                "application/json", "application/x-www-form-urlencoded; charset=" + pick(r, "utf-8", "latin1", token(r)))));
        return new RawRequest("POST", "/auth/token", headers, body.getBytes(StandardCharsets.UTF_8));
    }

    private RawRequest request(Random r, String method, String target) {
        List<String> headers = new ArrayList<>();
        int auth = r.nextInt(10);
        if (auth < 7) {
            headers.add("Authorization: " + Admin.basic());
        } else if (auth == 7) {
            headers.add("Authorization: Basic " + Base64.getEncoder().encodeToString((token(r) + ":" + token(r))
                    .getBytes(StandardCharsets.UTF_8)));
        } else if (auth == 8) {
            headers.add("Authorization: " + pick(r, "Bearer ", "Bearer eyJ", "Basic ", "Basic !!!", "Negotiate x") + token(r));
        }
        if (r.nextBoolean()) {
            headers.add("Content-Type: " + pick(r, "application/octet-stream", "application/json",
                    "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
                    "application/x-www-form-urlencoded", "text/plain", token(r)));
        }
        if (r.nextInt(4) == 0) {
            headers.add("Content-Range: " + pick(r, "0-0", "0-" + r.nextInt(5000), r.nextInt(100) + "-" + r.nextInt(100),
                    "bytes 0-9/10", "-1-5", "a-b", "99999999999999999999-1"));
        }
        if (r.nextInt(4) == 0) {
            headers.add("Range: " + pick(r, "bytes=0-", "bytes=0-0", "bytes=-1", "bytes=5-1", "bytes=0-1,3-4",
                    "bytes=99999999999999999999-", "lines=1-2", "bytes=" + r.nextInt(2000) + "-"));
        }
        if (r.nextInt(5) == 0) {
            headers.add("Accept: " + pick(r, "*/*", "application/vnd.oci.image.index.v1+json", token(r)));
        }
        return new RawRequest(method, target, headers, method.equals("GET") || method.equals("HEAD") ? new byte[0] : body(r));
    }

    private byte[] body(Random r) {
        return switch (r.nextInt(7)) {
            case 0 -> new byte[0];
            case 1 -> bytes(r, r.nextInt(3000));
            case 2 -> ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":"
                    + "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + digest
                    + "\",\"size\":" + pick(r, "1000", "-1", "1e3", "\"1\"", "99999999999999999999") + "},\"layers\":"
                    + pick(r, "[]", "null", "{}", "[{}]", "[{\"digest\":\"" + reference(r) + "\"}]") + ","
                    + "\"annotations\":" + pick(r, "{}", "{\"a\":\"\\u0000\"}", "[]", "{\"a\":1}") + ","
                    + "\"artifactType\":" + pick(r, "\"x/y\"", "1", "\"\\u0000\"", "\"" + "t".repeat(300) + "\"")
                    + pick(r, "}", "", "}}", ",\"subject\":{}}")).getBytes(StandardCharsets.UTF_8);
            case 3 -> ("{\"name\":\"" + token(r) + "\",\"visibility\":\"" + pick(r, "public", "private", token(r))
                    + "\",\"role\":\"" + pick(r, "reader", "admin", token(r)) + "\",\"password\":\"" + token(r)
                    + "\",\"actions\":[\"" + pick(r, "pull", "push", token(r)) + "\"],\"repositories\":[\""
                    + pick(r, "*", "app", token(r)) + "\"]}").getBytes(StandardCharsets.UTF_8);
            case 4 -> "[".repeat(r.nextInt(3000)).getBytes(StandardCharsets.US_ASCII);
            case 5 -> ("{\"name\":" + pick(r, "null", "1", "[]", "{}", "true", "\"\\ud800\"") + "}").getBytes(StandardCharsets.UTF_8);
            default -> token(r).getBytes(StandardCharsets.UTF_8);
        };
    }

    private String name(Random r) {
        return switch (r.nextInt(6)) {
            case 0, 1 -> repository;
            case 2 -> namespace + "/" + token(r);
            case 3 -> token(r) + "/" + token(r);
            case 4 -> repository + "/" + token(r);
            default -> token(r);
        };
    }

    private String reference(Random r) {
        return switch (r.nextInt(7)) {
            case 0 -> digest;
            case 1 -> "sha256:" + HexFormat.of().formatHex(bytes(r, 32));
            case 2 -> "sha512:" + HexFormat.of().formatHex(bytes(r, r.nextInt(70)));
            case 3 -> pick(r, "sha256:", "sha256:" + token(r), "md5:d41d8cd98f00b204e9800998ecf8427e", ":", "sha256%3a" + token(r));
            case 4 -> pick(r, "latest", "v1", "_x", "-x", "x".repeat(129));
            default -> token(r);
        };
    }

    private String uploadQuery(Random r) {
        return pick(r, "", "?digest=" + reference(r), "?mount=" + reference(r) + "&from=" + name(r), "?mount=" + digest
                + "&from=" + repository, "?digest=" + digest, "?" + token(r) + "=" + token(r));
    }

    private String pageQuery(Random r) {
        return pick(r, "", "?n=" + pick(r, "0", "1", "-1", "1000000", "99999999999999999999", "x", "", "%00"),
                "?last=" + token(r), "?n=" + r.nextInt(5) + "&last=" + token(r), "?artifactType=" + token(r));
    }

    /** A URI-safe token: plain characters with nasty fragments spliced in (already percent-encoded). */
    private static String token(Random r) {
        StringBuilder token = new StringBuilder();
        int parts = 1 + r.nextInt(3);
        for (int i = 0; i < parts; i++) {
            if (r.nextInt(3) == 0) {
                token.append(NASTY[r.nextInt(NASTY.length)]);
            } else {
                int length = 1 + r.nextInt(12);
                for (int j = 0; j < length; j++) {
                    token.append("abcxyz0189.-_~ABC".charAt(r.nextInt(17)));
                }
            }
        }
        return token.toString();
    }

    /** Random bytes from the run's own generator: the run stays reproducible. */
    private static byte[] bytes(Random r, int length) {
        byte[] bytes = new byte[length];
        r.nextBytes(bytes);
        return bytes;
    }

    private static String method(Random r) {
        return METHODS[r.nextInt(METHODS.length)];
    }

    private static String pick(Random r, String... options) {
        return options[r.nextInt(options.length)];
    }

    /** What is wrong with the answer, or null. */
    private static String problem(RawRequest request, Answer answer) {
        if (answer.status() >= 500) {
            return "server error " + new String(answer.body(), StandardCharsets.UTF_8);
        }
        if (answer.status() < 400 || request.method().equals("HEAD")) {
            return null;
        }
        try {
            JsonNode errors = JSON.readTree(answer.body()).path("errors");
            if (!errors.isArray() || errors.isEmpty() || !errors.get(0).path("code").isTextual()) {
                return "error body without errors[].code: " + new String(answer.body(), StandardCharsets.UTF_8);
            }
            return null;
        } catch (IOException e) {
            return "error body is not JSON: " + answer.headers() + new String(answer.body(), StandardCharsets.UTF_8);
        }
    }

    private Answer send(RawRequest request) throws IOException {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(15_000);
            boolean http10 = request.headers().contains(HTTP_10);
            StringBuilder head = new StringBuilder(request.method() + " " + request.target()
                    + (http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort() + "\r\n")
                    + "Connection: close\r\n");
            request.headers().stream().filter(header -> !header.equals(HTTP_10)).forEach(header -> head.append(header).append("\r\n"));
            if (request.body().length > 0 || request.method().equals("POST") || request.method().equals("PUT")
                    || request.method().equals("PATCH")) {
                head.append("Content-Length: ").append(request.body().length).append("\r\n");
            }
            head.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.UTF_8));
            out.write(request.body());
            out.flush();
            return parse(socket.getInputStream(), request.method().equals("HEAD"));
        }
    }

    /** Reads the whole answer (the connection closes after it): status, header block, de-chunked body. */
    private static Answer parse(InputStream in, boolean head) throws IOException {
        byte[] all = in.readAllBytes();
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || end < 0) {
            throw new IOException("not an HTTP answer: " + text);
        }
        int status = Integer.parseInt(text.substring(9, 12));
        String headers = text.substring(0, end);
        byte[] body = head ? new byte[0] : java.util.Arrays.copyOfRange(all, end + 4, all.length);
        if (headers.toLowerCase(Locale.ROOT).contains("transfer-encoding: chunked")) {
            body = dechunk(body);
        }
        return new Answer(status, headers, body);
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        while (at < chunked.length) {
            int lineEnd = indexOfCrlf(chunked, at);
            if (lineEnd < 0) {
                break;
            }
            String sizeLine = new String(chunked, at, lineEnd - at, StandardCharsets.US_ASCII).split(";")[0].trim();
            int size = Integer.parseInt(sizeLine, 16);
            if (size == 0) {
                break;
            }
            out.write(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOfCrlf(byte[] bytes, int from) {
        for (int i = from; i + 1 < bytes.length; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
