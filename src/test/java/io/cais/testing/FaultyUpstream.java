package io.cais.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * A fault injector in front of a real upstream registry (not a mock of one): a loopback HTTP server that passes every
 * request through to the registry behind it, or — switched at runtime — answers {@code 429} with a
 * {@code Retry-After}, {@code 503} or {@code 500} itself, or stalls (accepts the request and never answers, or falls
 * silent in the middle of the body). It
 * records every request it received and what it answered, so a test counts what Cais asked the upstream.
 */
public final class FaultyUpstream implements AutoCloseable {

    public enum Fault {
        /** Every request goes to the registry behind, and its answer comes back. */
        NONE(0),
        TOO_MANY_REQUESTS(429),
        UNAVAILABLE(503),
        INTERNAL_ERROR(500),
        /** The request is accepted and never answered, until the fault is switched off. */
        STALL(0),
        /**
         * The request goes to the registry behind; its headers and the first half of its body come back, then nothing
         * more until the fault is switched off (then the connection is dropped).
         */
        STALL_MID_BODY(0);

        /** The status this fault answers with; 0 when it answers none of its own. */
        public final int status;

        Fault(int status) {
            this.status = status;
        }
    }

    /** A request as received, and the status answered (0: none, it stalled). */
    public record Received(String method, String path, int status) {
    }

    /** What a {@code 429} of this proxy says in {@code Retry-After}. */
    public static final String RETRY_AFTER_SECONDS = "17";
    private static final Set<String> NOT_COPIED = Set.of("content-length", "transfer-encoding", "connection", "date");

    private final URI behind;
    private final HttpServer server;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Object switched = new Object();
    private volatile Fault fault = Fault.NONE;
    private volatile boolean closed;

    private FaultyUpstream(URI behind) throws IOException {
        this.behind = behind;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(handlers);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts the proxy in front of the registry at {@code behind} (e.g. {@link UpstreamRegistry#url()}), passing through. */
    public static FaultyUpstream inFrontOf(String behind) throws IOException {
        return new FaultyUpstream(URI.create(behind));
    }

    /** The base URL to configure as the upstream's URL in Cais. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Switches the fault for the requests that come from now on; switching off a stall lets stalled requests go. */
    public void inject(Fault next) {
        synchronized (switched) {
            fault = next;
            switched.notifyAll();
        }
    }

    /** The requests received whose method, path and answered status match. */
    public long received(Predicate<Received> matching) {
        return received.stream().filter(matching).count();
    }

    /** How many requests of any method for exactly this path were received. */
    public long received(String path) {
        return received(request -> request.path().equals(path));
    }

    /** Every request received so far. */
    public List<Received> all() {
        return List.copyOf(received);
    }

    private void handle(HttpExchange exchange) throws IOException {
        Fault now = fault;
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        try (exchange) {
            switch (now) {
                case NONE -> received.add(new Received(method, path, passThrough(exchange, false)));
                case STALL_MID_BODY -> {
                    received.add(new Received(method, path, 0));
                    passThrough(exchange, true);
                }
                case STALL -> {
                    received.add(new Received(method, path, 0));
                    stall(Fault.STALL);
                }
                default -> {
                    received.add(new Received(method, path, now.status));
                    answer(exchange, now);
                }
            }
        }
    }

    private int passThrough(HttpExchange exchange, boolean stallMidBody) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(behind.resolve(exchange.getRequestURI().getRawPath()
                        + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery())))
                .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.noBody());
        for (String header : List.of("Authorization", "Accept", "User-Agent")) {
            exchange.getRequestHeaders().getOrDefault(header, List.of()).forEach(value -> request.header(header, value));
        }
        HttpResponse<InputStream> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        response.headers().map().forEach((name, values) -> {
            if (!NOT_COPIED.contains(name.toLowerCase(Locale.ROOT))) {
                exchange.getResponseHeaders().put(name, values);
            }
        });
        boolean head = exchange.getRequestMethod().equals("HEAD");
        long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (head && length >= 0) {
            exchange.getResponseHeaders().set("Content-Length", Long.toString(length));
        }
        // The JDK server: -1 is "no body", 0 is "chunked".
        exchange.sendResponseHeaders(response.statusCode(), head || length == 0 ? -1 : Math.max(length, 0));
        try (InputStream body = response.body(); OutputStream out = exchange.getResponseBody()) {
            if (head) {
                return response.statusCode();
            }
            if (stallMidBody && length > 1) {
                out.write(body.readNBytes((int) Math.min(length / 2, 1 << 20)));
                out.flush();
                stall(Fault.STALL_MID_BODY);
                throw new IOException("stalled mid-body: the connection is dropped");
            }
            body.transferTo(out);
        }
        return response.statusCode();
    }

    private static void answer(HttpExchange exchange, Fault fault) throws IOException {
        byte[] body = ("{\"errors\":[{\"code\":\"" + (fault.status == 429 ? "TOOMANYREQUESTS" : "UNAVAILABLE")
                + "\",\"message\":\"injected fault " + fault + "\"}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (fault.status == 429) {
            exchange.getResponseHeaders().set("Retry-After", RETRY_AFTER_SECONDS);
        }
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(fault.status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Holds the request, unanswered, until the stall is switched off or the proxy closes (then drops the connection). */
    private void stall(Fault stalling) {
        synchronized (switched) {
            while (fault == stalling && !closed) {
                try {
                    switched.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        synchronized (switched) {
            closed = true;
            switched.notifyAll();
        }
        server.stop(0);
        handlers.shutdownNow();
        client.close();
    }
}
