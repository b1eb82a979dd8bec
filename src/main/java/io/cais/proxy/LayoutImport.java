package io.cais.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.content.Descriptor;
import io.cais.content.Digest;
import io.cais.content.DigestAlgorithm;
import io.cais.content.ManifestParser;
import io.cais.content.MediaTypes;
import io.cais.content.ParsedManifest;
import io.cais.content.Reference;
import io.cais.distribution.DistributionConfig;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.manifest.Manifests;
import io.cais.metadata.BlobLinkStore;
import io.cais.upload.UploadStatus;
import io.cais.upload.Uploads;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Imports an OCI image layout, sent as a tar stream (gzip-compressed or not), into one repository: the way in for
 * images that skopeo or oras copied to a layout outside the firewall. Blobs are stored as they stream, through the
 * same {@link Uploads} a push uses (digest verified, quotas, usage, GC); manifests and {@code index.json} may come
 * before or after the blobs in the tar, so they are held in memory (each at most the manifest size limit) and pushed
 * at the end, children before the indexes listing them, tagged by their {@code org.opencontainers.image.ref.name}.
 * A blob the repository already links is not stored again: an interrupted import sent again completes.
 */
@ApplicationScoped
public class LayoutImport {

    /** What the layout's {@code index.json} calls the tag of an entry. */
    static final String REF_NAME = "org.opencontainers.image.ref.name";

    /** Held manifests together: a layout of thousands of manifests is refused rather than exhaust the heap. */
    static final long MAX_HELD_BYTES = 64L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    Uploads uploads;

    @Inject
    BlobLinkStore links;

    @Inject
    Manifests manifests;

    @Inject
    DistributionConfig distribution;

    /** What an import did: {@code manifests} pushed (digests), {@code tags} pointed at them. */
    public record Report(int blobsStored, int blobsSkipped, long bytesStored, List<String> manifests, List<String> tags) {
    }

    public Report run(String repository, InputStream body, String pushedBy) {
        Reading reading = new Reading(repository);
        try (TarArchiveInputStream tar = new TarArchiveInputStream(decompressed(body))) {
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                if (entry.isFile()) {
                    reading.entry(normalized(entry.getName()), entry.getSize(), new Unclosable(tar));
                }
            }
        } catch (IOException e) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "the body is not a readable tar of an OCI image layout",
                    String.valueOf(e.getMessage()));
        }
        return reading.finish(pushedBy);
    }

    /** The tar, through gzip when it starts with gzip's magic bytes. */
    private static InputStream decompressed(InputStream body) throws IOException {
        BufferedInputStream in = new BufferedInputStream(body, 64 * 1024);
        in.mark(2);
        int first = in.read();
        int second = in.read();
        in.reset();
        return first == 0x1f && second == 0x8b ? new GZIPInputStream(in, 64 * 1024) : in;
    }

    /** {@code ./blobs/sha256/…} and {@code blobs/sha256/…} alike: {@code tar -C layout -cf - .} writes the former. */
    private static String normalized(String name) {
        String path = name;
        while (path.startsWith("./")) {
            path = path.substring(2);
        }
        return path;
    }

    /** One import's state as the tar streams by. */
    private final class Reading {

        private final String repository;
        private final Map<Digest, byte[]> held = new LinkedHashMap<>();
        private long heldBytes;
        private byte[] index;
        private int stored;
        private int skipped;
        private long bytesStored;

        Reading(String repository) {
            this.repository = repository;
        }

        void entry(String path, long size, InputStream content) throws IOException {
            if (path.equals("index.json")) {
                index = readSmall(path, size, content);
                return;
            }
            String[] parts = path.split("/");
            if (parts.length != 3 || !parts[0].equals("blobs")) {
                return; // oci-layout, and anything else a layout may carry besides blobs
            }
            Digest digest = digest(path, parts[1], parts[2]);
            if (size <= distribution.maxManifestSize()) {
                // Small enough to be a manifest: read first, as a manifest is pushed even when its blob file is known.
                byte[] bytes = readSmall(path, size, content);
                verify(path, digest, bytes);
                if (isManifest(bytes)) {
                    hold(path, digest, bytes);
                } else if (!skip(digest)) {
                    store(path, digest, new ByteArrayInputStream(bytes), bytes.length);
                }
            } else if (!skip(digest)) {
                store(path, digest, content, size);
            } // a skipped entry's bytes are skipped by the tar reader
        }

        /** True when the repository links the blob already: a run of the same import stored it before. */
        private boolean skip(Digest digest) {
            if (links.linkedSize(repository, digest).isPresent()) {
                skipped++;
                return true;
            }
            return false;
        }

        Report finish(String pushedBy) {
            if (index == null) {
                throw new RegistryException(ErrorCode.MANIFEST_INVALID, "the layout has no index.json");
            }
            List<Root> roots = roots(index);
            Set<Digest> reached = new HashSet<>();
            for (Root root : roots) {
                if (!held.containsKey(root.digest())) {
                    throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN,
                            "the layout's index.json names a manifest that is not in the tar", root.digest().toString());
                }
                reach(root.digest(), reached);
            }
            // A held manifest no index entry reaches is a blob of the layout like any other (an artifact's layer).
            for (Map.Entry<Digest, byte[]> blob : held.entrySet()) {
                if (!reached.contains(blob.getKey())) {
                    store("blobs/" + blob.getKey().algorithm().prefix() + "/" + blob.getKey().hex(), blob.getKey(),
                            new ByteArrayInputStream(blob.getValue()), blob.getValue().length);
                }
            }
            List<String> pushed = new ArrayList<>();
            List<String> tags = new ArrayList<>();
            Set<Digest> done = new HashSet<>();
            for (Root root : roots) {
                push(root.digest(), root.mediaType(), root.tags(), pushedBy, done, pushed);
                tags.addAll(root.tags());
            }
            return new Report(stored, skipped, bytesStored, pushed, tags);
        }

        /** The manifests of the layout, children before the indexes that list them; each pushed once. */
        private void push(Digest digest, String mediaType, List<String> tags, String pushedBy, Set<Digest> done,
                          List<String> pushed) {
            byte[] body = held.get(digest);
            if (body == null) {
                return; // a child the layout lacks: the index's push fails naming it, unless the repository has it
            }
            String type = mediaType(body, mediaType);
            if (done.add(digest)) {
                for (Descriptor child : parsed(digest, body, type).children()) {
                    push(child.digest(), child.mediaType(), List.of(), pushedBy, done, pushed);
                }
                manifests.put(repository, new Reference.ByDigest(digest), tags, type, body, pushedBy);
                pushed.add(digest.toString());
            } else if (!tags.isEmpty()) {
                manifests.put(repository, new Reference.ByDigest(digest), tags, type, body, pushedBy);
            }
        }

        private void reach(Digest digest, Set<Digest> reached) {
            byte[] body = held.get(digest);
            if (body != null && reached.add(digest)) {
                for (Descriptor child : parsed(digest, body, null).children()) {
                    reach(child.digest(), reached);
                }
            }
        }

        private void hold(String path, Digest digest, byte[] bytes) {
            heldBytes += bytes.length;
            if (heldBytes > MAX_HELD_BYTES) {
                throw new RegistryException(ErrorCode.SIZE_INVALID, "the layout's manifests are larger together than an import holds",
                        Map.of("maxBytes", MAX_HELD_BYTES, "file", path)).withStatus(413);
            }
            held.put(digest, bytes);
        }

        private void store(String path, Digest digest, InputStream content, long size) {
            UploadStatus upload = uploads.start(repository, digest.algorithm());
            try {
                uploads.complete(repository, upload.id(), digest, content, null);
            } catch (RegistryException e) {
                if (e.code() == ErrorCode.DIGEST_INVALID) {
                    throw mismatch(path, digest);
                }
                throw e;
            }
            stored++;
            bytesStored += size;
        }

        private byte[] readSmall(String path, long size, InputStream content) throws IOException {
            int max = distribution.maxManifestSize();
            if (size > max) {
                throw new RegistryException(ErrorCode.SIZE_INVALID, "a file of the layout is larger than the manifest limit",
                        Map.of("file", path, "maxBytes", max)).withStatus(413);
            }
            return content.readNBytes((int) size);
        }
    }

    /** An entry of {@code index.json}: the manifest, its media type and the tag its ref name gives. */
    private record Root(Digest digest, String mediaType, List<String> tags) {
    }

    private static List<Root> roots(byte[] index) {
        JsonNode manifests;
        try {
            manifests = JSON.readTree(index).path("manifests");
        } catch (IOException e) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "index.json is not JSON", e.getMessage());
        }
        Map<Digest, Root> roots = new LinkedHashMap<>();
        for (JsonNode entry : manifests) {
            Digest digest = Digest.parse(entry.path("digest").asText(null));
            String tag = tag(entry.path("annotations").path(REF_NAME).asText(null));
            Root known = roots.get(digest);
            List<String> tags = new ArrayList<>(known == null ? List.of() : known.tags());
            if (tag != null && !tags.contains(tag)) {
                tags.add(tag);
            }
            roots.put(digest, new Root(digest, entry.path("mediaType").asText(null), List.copyOf(tags)));
        }
        if (roots.isEmpty()) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "the layout's index.json lists no manifest");
        }
        return List.copyOf(roots.values());
    }

    /**
     * The tag a ref name gives: the name itself ({@code skopeo copy … oci:dir:1.27}), or what follows the last colon of
     * a full reference ({@code docker.io/library/nginx:1.27}, as some tools write it); null when it gives none.
     */
    static String tag(String refName) {
        if (refName == null || refName.isEmpty()) {
            return null;
        }
        String last = refName.substring(refName.lastIndexOf('/') + 1);
        int colon = last.lastIndexOf(':');
        String candidate = colon >= 0 ? last.substring(colon + 1) : refName.contains("/") ? null : refName;
        if (candidate == null) {
            return null; // a repository name without a tag
        }
        if (!(Reference.parse(candidate) instanceof Reference.Tag)) {
            throw new RegistryException(ErrorCode.TAG_INVALID, "index.json names an invalid tag", refName);
        }
        return candidate;
    }

    private static Digest digest(String path, String algorithm, String hex) {
        if (DigestAlgorithm.byPrefix(algorithm).isEmpty()) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "unsupported digest algorithm in the layout", path);
        }
        try {
            return Digest.parse(algorithm + ":" + hex);
        } catch (RegistryException e) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "the layout names a blob by a malformed digest", path);
        }
    }

    private static void verify(String path, Digest digest, byte[] bytes) {
        if (!Manifests.digestOf(bytes, digest.algorithm()).equals(digest)) {
            throw mismatch(path, digest);
        }
    }

    private static RegistryException mismatch(String path, Digest digest) {
        return new RegistryException(ErrorCode.DIGEST_INVALID, "a file of the layout does not match its digest",
                Map.of("file", path, "expected", digest.toString()));
    }

    /** JSON with a {@code schemaVersion}: an image manifest or index (configs and layers have none). */
    private static boolean isManifest(byte[] bytes) {
        if (bytes.length == 0 || bytes[0] != '{') {
            return false;
        }
        try {
            return JSON.readTree(bytes).has("schemaVersion");
        } catch (IOException e) {
            return false;
        }
    }

    private static ParsedManifest parsed(Digest digest, byte[] body, String mediaType) {
        try {
            return ManifestParser.parse(body, mediaType(body, mediaType));
        } catch (RegistryException e) {
            throw new RegistryException(e.code(), "a manifest of the layout is invalid: " + e.getMessage(), digest.toString());
        }
    }

    /**
     * The descriptor's media type, else the manifest's own {@code mediaType} field, else (OCI lets a manifest omit it)
     * an index when it lists manifests and an image manifest when not.
     */
    private static String mediaType(byte[] body, String described) {
        if (described != null) {
            return described;
        }
        try {
            JsonNode manifest = JSON.readTree(body);
            String own = manifest.path("mediaType").asText(null);
            return own != null ? own : manifest.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
        } catch (IOException e) {
            return null;
        }
    }

    /** The tar's entry as an upload's body: an upload closes its body, which must not close the tar. */
    private static final class Unclosable extends FilterInputStream {
        Unclosable(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
        }
    }
}
