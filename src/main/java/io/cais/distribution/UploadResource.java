package io.cais.distribution;

import io.cais.auth.AccessControl;
import io.cais.auth.Action;
import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.content.Digest;
import io.cais.content.DigestAlgorithm;
import io.cais.content.RepositoryName;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.BlobLinkStore;
import io.cais.metadata.QuotaExceededException;
import io.cais.quota.Quotas;
import io.cais.storage.BlobStore;
import io.cais.upload.ContentRange;
import io.cais.upload.UploadStatus;
import io.cais.upload.Uploads;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import java.io.InputStream;
import java.util.UUID;

/**
 * Blob uploads, as the OCI Distribution Specification describes them: sessions ({@code POST}), monolithic
 * ({@code POST ?digest=}), cross-repository mounts ({@code POST ?mount=&from=}), streamed and chunked
 * {@code PATCH}, status ({@code GET}), completion ({@code PUT ?digest=}) and cancellation ({@code DELETE}).
 */
@Path("/v2")
@RunOnVirtualThread
public class UploadResource {

    @Inject
    AccessControl access;

    @Inject
    Uploads uploads;

    @Inject
    BlobLinkStore links;

    @Inject
    BlobStore store;

    @Inject
    Quotas quotas;

    @POST
    @Authorize(Rule.REPOSITORY_UPLOAD)
    @Path("{name: .+}/blobs/uploads{slash: /?}")
    public Response start(@PathParam("name") String name, @QueryParam("digest") String digestParam,
                          @QueryParam("mount") String mountParam, @QueryParam("from") String from,
                          @Context HttpHeaders headers, InputStream body) {
        String repository = RepositoryName.require(name);
        if (digestParam != null) {
            Digest digest = Digest.parse(digestParam);
            UploadStatus session = uploads.start(repository, digest.algorithm());
            uploads.complete(repository, session.id(), digest, hasBody(headers) ? body : InputStream.nullInputStream(), null);
            return created(repository, digest);
        }
        if (mountParam != null) {
            Digest digest = Digest.parse(mountParam);
            // Mounting needs pull on the source: without it the mount silently becomes a plain upload.
            if (from != null && RepositoryName.isValid(from) && access.allows(from, Action.PULL)
                    && mount(from, repository, digest)) {
                return created(repository, digest);
            }
        }
        UploadStatus session = uploads.start(repository, DigestAlgorithm.SHA256);
        return Response.accepted()
                .header("Location", session.location())
                .header("Range", session.range())
                .header(RegistryHeaders.UPLOAD_UUID, session.id().toString())
                .header(RegistryHeaders.CHUNK_MIN_LENGTH, store.chunkMinLength())
                .header(HttpHeaders.CONTENT_LENGTH, 0)
                .build();
    }

    /** A mount adds the blob to the namespace's stored bytes unless it is there already: the quota applies. */
    private boolean mount(String from, String repository, Digest digest) {
        try {
            return links.mount(from, repository, digest);
        } catch (QuotaExceededException e) {
            throw quotas.refusal(e);
        }
    }

    @GET
    @Authorize(Rule.REPOSITORY_PUSH)
    @Path("{name: .+}/blobs/uploads/{uuid: [^/]+}")
    public Response status(@PathParam("name") String name, @PathParam("uuid") String uuid) {
        String repository = RepositoryName.require(name);
        return progress(Response.noContent(), uploads.status(repository, uploadId(uuid)));
    }

    @PATCH
    @Authorize(Rule.REPOSITORY_PUSH)
    @Path("{name: .+}/blobs/uploads/{uuid: [^/]+}")
    public Response append(@PathParam("name") String name, @PathParam("uuid") String uuid,
                           @Context HttpHeaders headers, InputStream body) {
        String repository = RepositoryName.require(name);
        UploadStatus status = uploads.append(repository, uploadId(uuid), body, contentRange(headers));
        return progress(Response.accepted(), status);
    }

    @PUT
    @Authorize(Rule.REPOSITORY_PUSH)
    @Path("{name: .+}/blobs/uploads/{uuid: [^/]+}")
    public Response complete(@PathParam("name") String name, @PathParam("uuid") String uuid,
                             @QueryParam("digest") String digestParam, @Context HttpHeaders headers,
                             InputStream body) {
        String repository = RepositoryName.require(name);
        UUID id = uploadId(uuid);
        if (digestParam == null) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "the digest query parameter is required");
        }
        Digest digest = Digest.parse(digestParam);
        uploads.complete(repository, id, digest, hasBody(headers) ? body : null, contentRange(headers));
        return created(repository, digest);
    }

    @DELETE
    @Authorize(Rule.REPOSITORY_PUSH)
    @Path("{name: .+}/blobs/uploads/{uuid: [^/]+}")
    public Response cancel(@PathParam("name") String name, @PathParam("uuid") String uuid) {
        String repository = RepositoryName.require(name);
        uploads.cancel(repository, uploadId(uuid));
        return Response.noContent().build();
    }

    private static Response created(String repository, Digest digest) {
        return Response.status(201)
                .header("Location", "/v2/" + repository + "/blobs/" + digest)
                .header(RegistryHeaders.CONTENT_DIGEST, digest.toString())
                .header(HttpHeaders.CONTENT_LENGTH, 0)
                .build();
    }

    private static Response progress(Response.ResponseBuilder builder, UploadStatus status) {
        return builder
                .header("Location", status.location())
                .header("Range", status.range())
                .header(RegistryHeaders.UPLOAD_UUID, status.id().toString())
                .header(HttpHeaders.CONTENT_LENGTH, 0)
                .build();
    }

    private static UUID uploadId(String value) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "upload unknown", value);
        }
    }

    private static ContentRange contentRange(HttpHeaders headers) {
        String value = headers.getHeaderString("Content-Range");
        return value == null || value.isBlank() ? null : ContentRange.parse(value);
    }

    /** A request carries a body when it declares a length above zero or streams with chunked encoding. */
    private static boolean hasBody(HttpHeaders headers) {
        String length = headers.getHeaderString(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            try {
                return Long.parseLong(length.trim()) > 0;
            } catch (NumberFormatException e) {
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "malformed Content-Length", length);
            }
        }
        String encoding = headers.getHeaderString("Transfer-Encoding");
        return encoding != null && encoding.toLowerCase().contains("chunked");
    }
}
