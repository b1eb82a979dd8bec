package io.cais.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.UpstreamStore;
import io.cais.metadata.UpstreamStore.RequestBudget;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cais as a client of an upstream registry (JDK HttpClient, bodies as streams: nothing is buffered here). Speaks
 * the Docker token flow — a {@code 401} with {@code WWW-Authenticate: Bearer realm=…,service=…,scope=…}, a token
 * from the realm (with the upstream's credentials as Basic when it has some), the request again with the token —
 * and plain Basic. Tokens are remembered per upstream and scope until shortly before they expire. At most
 * {@code maxConcurrency} requests per upstream are open at once on this replica (a blob's until its body is closed),
 * and at most {@code maxRequestsPerMinute} are sent per minute by all replicas together (counted in PostgreSQL).
 */
@ApplicationScoped
public class UpstreamClient {

    static final String MANIFEST_ACCEPT = String.join(", ", "application/vnd.oci.image.index.v1+json",
            "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v2+json");
    private static final Pattern PARAMETER = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final long DEFAULT_TOKEN_SECONDS = 60;
    private static final int MAX_REDIRECTS = 5;
    /** A token answer is a few KiB; more is read no further (memory stays bounded whatever the upstream sends). */
    private static final int MAX_TOKEN_RESPONSE = 1 << 20;
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);

    @Inject
    ProxyConfig config;

    @Inject
    ObjectMapper json;

    @Inject
    UpstreamStore store;

    private HttpClient http;
    /** Times the silences inside upstream bodies ({@link SilenceLimitedBody}): one thread for all of them. */
    private ScheduledExecutorService silenceClocks;
    private final Map<String, Semaphore> slots = new ConcurrentHashMap<>();
    /** Upstreams that answered a Basic challenge: later requests send the credentials at once. */
    private final Map<String, Boolean> basic = new ConcurrentHashMap<>();
    private final Cache<String, Token> tokens = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfter(Expiry.<String, Token>creating((key, token) -> token.lifetime())).build();

    private record Token(String value, Duration lifetime) {
    }

    @jakarta.annotation.PostConstruct
    void start() {
        http = HttpClient.newBuilder().connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
        // A daemon thread, never shut down: requests still running during shutdown (a pre-fetch) keep their limit.
        ScheduledThreadPoolExecutor clocks = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon()
                .name("upstream-silence-clock").factory());
        clocks.setRemoveOnCancelPolicy(true); // a body closed early leaves no task (and no buffers) behind
        silenceClocks = clocks;
    }

    /**
     * Sends {@code GET} or {@code HEAD} for {@code /v2/<path>/<what>}; any status is returned, the caller closes the
     * body. Unreachable, timed out or refusing connections: an {@link IOException}. No connection free or the
     * request rate spent: a {@link RegistryException} {@code 429}, and nothing is sent.
     */
    public HttpResponse<InputStream> send(Upstream upstream, String path, String what, boolean head, String accept)
            throws IOException {
        Semaphore slot = slots.computeIfAbsent(upstream.name() + "#" + upstream.maxConcurrency(),
                k -> new Semaphore(upstream.maxConcurrency()));
        acquire(upstream, slot);
        boolean handedOver = false;
        try {
            spendRequest(upstream);
            String scope = "repository:" + path + ":pull";
            URI uri = URI.create(base(upstream) + "/v2/" + path + "/" + what);
            HttpResponse<InputStream> response = http.send(request(uri, head, accept, authorization(upstream, scope)),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() == 401) {
                Optional<String> retry = answer(upstream, response, scope);
                if (retry.isPresent()) {
                    response.body().close();
                    response = http.send(request(uri, head, accept, retry.get()), HttpResponse.BodyHandlers.ofInputStream());
                }
            }
            HttpResponse<InputStream> answered = followRedirects(response, head, accept);
            ReleasingResponse released = new ReleasingResponse(answered, slot,
                    new SilenceLimitedBody(answered.body(), config.readTimeout(), silenceClocks, upstream.name()));
            handedOver = true;
            return released;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking upstream " + upstream.name(), e);
        } finally {
            if (!handedOver) {
                slot.release();
            }
        }
    }

    /**
     * Follows redirects (Docker Hub and S3-backed registries send blobs to a CDN or a presigned URL). Credentials go
     * only to the upstream's own origin: a presigned URL refuses a request that carries an Authorization header too,
     * and a token must not leak to a third party.
     */
    private HttpResponse<InputStream> followRedirects(HttpResponse<InputStream> response, boolean head, String accept)
            throws IOException, InterruptedException {
        HttpResponse<InputStream> current = response;
        for (int hop = 0; hop < MAX_REDIRECTS && REDIRECTS.contains(current.statusCode()); hop++) {
            Optional<String> location = current.headers().firstValue("Location");
            if (location.isEmpty()) {
                break;
            }
            URI target = current.uri().resolve(location.get());
            boolean sameOrigin = Objects.equals(target.getScheme(), current.uri().getScheme())
                    && Objects.equals(target.getAuthority(), current.uri().getAuthority());
            String authorization = sameOrigin ? current.request().headers().firstValue("Authorization").orElse(null) : null;
            current.body().close();
            current = http.send(request(target, head, accept, authorization), HttpResponse.BodyHandlers.ofInputStream());
        }
        return current;
    }

    private void acquire(Upstream upstream, Semaphore slot) {
        try {
            if (!slot.tryAcquire(config.concurrencyWait().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new RegistryException(ErrorCode.TOOMANYREQUESTS, "all connections to upstream " + upstream.name()
                        + " are busy; retry", upstream.name()).withHeaders(Map.of("Retry-After", "1"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(ErrorCode.UNAVAILABLE, "interrupted while waiting for upstream " + upstream.name());
        }
    }

    /**
     * One request of the upstream's rate, counted for all replicas. A token request or a challenge's retry is part of
     * the request it serves: what an upstream's own rate limit counts (Docker Hub: manifest GETs) is one of these.
     */
    private void spendRequest(Upstream upstream) {
        if (upstream.maxRequestsPerMinute() == null) {
            return;
        }
        RequestBudget budget = store.spendRequest(upstream.name());
        if (!budget.granted()) {
            throw new RegistryException(ErrorCode.TOOMANYREQUESTS, "the limit of " + budget.limit()
                    + " requests per minute to upstream " + upstream.name() + " is spent; retry in " + budget.secondsLeft()
                    + " s", Map.of("upstream", upstream.name(), "maxRequestsPerMinute", budget.limit()))
                    .withHeaders(Map.of("Retry-After", Long.toString(budget.secondsLeft())));
        }
    }

    private HttpRequest request(URI uri, boolean head, String accept, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(config.requestTimeout())
                .method(head ? "HEAD" : "GET", HttpRequest.BodyPublishers.noBody());
        if (accept != null) {
            request.header("Accept", accept);
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return request.build();
    }

    /** What to send before any challenge: a remembered token for the scope, or Basic to an upstream that asked for it. */
    private String authorization(Upstream upstream, String scope) {
        Token token = tokens.getIfPresent(upstream.name() + " " + scope);
        if (token != null) {
            return "Bearer " + token.value();
        }
        return basic.containsKey(upstream.name()) && upstream.hasCredentials() ? basicHeader(upstream) : null;
    }

    /** The Authorization to retry with after a 401, if the challenge is one we can answer. */
    private Optional<String> answer(Upstream upstream, HttpResponse<?> response, String scope)
            throws IOException, InterruptedException {
        String challenge = response.headers().firstValue("WWW-Authenticate").orElse("");
        String scheme = challenge.split(" ", 2)[0].toLowerCase(Locale.ROOT);
        if (scheme.equals("basic") && upstream.hasCredentials()) {
            basic.put(upstream.name(), Boolean.TRUE);
            return Optional.of(basicHeader(upstream));
        }
        if (!scheme.equals("bearer")) {
            return Optional.empty();
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        Matcher m = PARAMETER.matcher(challenge);
        while (m.find()) {
            parameters.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
        }
        String realm = parameters.get("realm");
        if (realm == null) {
            return Optional.empty();
        }
        StringBuilder url = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?')
                .append("scope=").append(URLEncoder.encode(parameters.getOrDefault("scope", scope), StandardCharsets.UTF_8));
        if (parameters.containsKey("service")) {
            url.append("&service=").append(URLEncoder.encode(parameters.get("service"), StandardCharsets.UTF_8));
        }
        HttpRequest.Builder tokenRequest = HttpRequest.newBuilder(URI.create(url.toString())).timeout(config.requestTimeout()).GET();
        if (upstream.hasCredentials()) {
            tokenRequest.header("Authorization", basicHeader(upstream));
        }
        HttpResponse<InputStream> answer = http.send(tokenRequest.build(), HttpResponse.BodyHandlers.ofInputStream());
        JsonNode body;
        try (InputStream in = new SilenceLimitedBody(answer.body(), config.readTimeout(), silenceClocks, upstream.name())) {
            if (answer.statusCode() != 200) {
                return Optional.empty();
            }
            body = json.readTree(in.readNBytes(MAX_TOKEN_RESPONSE));
        }
        String value = body.hasNonNull("token") ? body.get("token").asText() : body.path("access_token").asText(null);
        if (value == null) {
            return Optional.empty();
        }
        long seconds = body.path("expires_in").asLong(DEFAULT_TOKEN_SECONDS);
        // Forgotten a little early, so a token is never sent as it expires.
        tokens.put(upstream.name() + " " + scope, new Token(value, Duration.ofSeconds(Math.max(1, seconds - 10))));
        return Optional.of("Bearer " + value);
    }

    private static String basicHeader(Upstream upstream) {
        return "Basic " + Base64.getEncoder().encodeToString((upstream.username() + ":" + upstream.password())
                .getBytes(StandardCharsets.UTF_8));
    }

    private static String base(Upstream upstream) {
        String url = upstream.url().toString();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** A response whose connection slot is given back when its body is closed. */
    private static final class ReleasingResponse implements HttpResponse<InputStream> {
        private final HttpResponse<InputStream> response;
        private final InputStream body;

        ReleasingResponse(HttpResponse<InputStream> response, Semaphore slot, InputStream limitedBody) {
            this.response = response;
            this.body = new FilterInputStream(limitedBody) {
                private boolean closed;

                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        if (!closed) {
                            closed = true;
                            slot.release();
                        }
                    }
                }
            };
        }

        @Override
        public int statusCode() {
            return response.statusCode();
        }

        @Override
        public HttpRequest request() {
            return response.request();
        }

        @Override
        public Optional<HttpResponse<InputStream>> previousResponse() {
            return response.previousResponse();
        }

        @Override
        public java.net.http.HttpHeaders headers() {
            return response.headers();
        }

        @Override
        public InputStream body() {
            return body;
        }

        @Override
        public Optional<javax.net.ssl.SSLSession> sslSession() {
            return response.sslSession();
        }

        @Override
        public URI uri() {
            return response.uri();
        }

        @Override
        public HttpClient.Version version() {
            return response.version();
        }
    }
}
