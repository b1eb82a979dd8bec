import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One keep-alive HTTP/1.1 connection of the load generators (KubeletCycle, Storm; Java 22+ finds this file beside
 * them when they run as source files): a blocking socket, meant for a virtual thread, and just enough HTTP to send
 * a request and read status, headers and a Content-Length or chunked body. Small next to the registry's CPU on a
 * shared machine, which a full client library is not.
 */
final class Http1 implements AutoCloseable {

    /** Bodies kept for the caller at most (manifests, tokens, error messages); the rest is only read (and hashed). */
    private static final int KEEP_AT_MOST = 256 * 1024;

    /** An answer: status, headers by lower-case name, the body's SHA-256 (if asked for), the kept part of the body. */
    record Response(int status, Map<String, String> headers, String digest, byte[] body, boolean keepAlive) {
        String header(String name) {
            return headers.get(name);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final String host;
    private final byte[] buffer = new byte[64 * 1024];

    Http1(URI base) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 30_000);
        socket.setSoTimeout(120_000);
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        host = base.getHost() + ":" + base.getPort();
    }

    /**
     * Sends METHOD PATH with HEADERS (complete "Name: value\r\n" lines) and FORM (a url-encoded body, or null), and
     * reads the answer. The body is hashed with SHA-256 if HASH, kept if KEEP or if the status is an error, and its
     * length added to BYTES (if not null).
     */
    Response exchange(String method, String path, String headers, String form, boolean hash, boolean keep, AtomicLong bytes)
            throws IOException {
        StringBuilder request = new StringBuilder(256).append(method).append(' ').append(path)
                .append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n").append(headers);
        byte[] formBytes = form == null ? new byte[0] : form.getBytes(StandardCharsets.UTF_8);
        if (form != null) {
            request.append("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ")
                    .append(formBytes.length).append("\r\n");
        }
        request.append("\r\n");
        out.write(request.toString().getBytes(StandardCharsets.UTF_8));
        out.write(formBytes);
        out.flush();

        int status = Integer.parseInt(line().substring(9, 12));
        Map<String, String> answered = new HashMap<>();
        for (String header = line(); !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            answered.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
        }
        MessageDigest sha256 = hash ? sha256() : null;
        ByteArrayOutputStream kept = keep || status >= 300 ? new ByteArrayOutputStream() : null;
        if (!method.equals("HEAD")) {
            if ("chunked".equalsIgnoreCase(answered.get("transfer-encoding"))) {
                for (long size = chunkSize(); size > 0; size = chunkSize()) {
                    body(size, sha256, kept, bytes);
                    line();
                }
                while (!line().isEmpty()) {
                    // trailers: none expected, read past them
                }
            } else {
                body(Long.parseLong(answered.getOrDefault("content-length", "0")), sha256, kept, bytes);
            }
        }
        return new Response(status, answered, sha256 == null ? null : "sha256:" + HexFormat.of().formatHex(sha256.digest()),
                kept == null ? new byte[0] : kept.toByteArray(), !"close".equalsIgnoreCase(answered.get("connection")));
    }

    private long chunkSize() throws IOException {
        return Long.parseLong(line().split(";")[0].trim(), 16);
    }

    private void body(long length, MessageDigest sha256, ByteArrayOutputStream kept, AtomicLong bytes) throws IOException {
        for (long left = length; left > 0; ) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException("connection closed with " + left + " bytes of the body left");
            }
            if (sha256 != null) {
                sha256.update(buffer, 0, n);
            }
            if (kept != null && kept.size() < KEEP_AT_MOST) {
                kept.write(buffer, 0, Math.min(n, KEEP_AT_MOST - kept.size()));
            }
            if (bytes != null) {
                bytes.addAndGet(n);
            }
            left -= n;
        }
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder(64);
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
