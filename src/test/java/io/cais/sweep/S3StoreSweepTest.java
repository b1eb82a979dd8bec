package io.cais.sweep;

import io.cais.testing.S3SweepProfile;
import io.cais.testing.S3TestServer;
import io.minio.CreateMultipartUploadArgs;
import io.minio.ListMultipartUploadsArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioAsyncClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.ListMultipartUploadsResult;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;

/** The sweep on the S3 store (S3Proxy), grace delay 0: objects are old as soon as they are stored. */
@QuarkusTest
@TestProfile(S3SweepProfile.class)
class S3StoreSweepTest extends StoreSweepContract {

    private static final MinioAsyncClient S3 = MinioAsyncClient.builder().endpoint(S3TestServer.endpoint())
            .credentials(S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY).region("us-east-1").build();

    static String blobKey(String digest) {
        String hex = digest.substring("sha256:".length());
        return "blobs/sha256/" + hex.substring(0, 2) + "/" + hex;
    }

    @Override
    void storeWithoutRow(String digest, byte[] content) throws Exception {
        S3.putObject(PutObjectArgs.builder().bucket(S3SweepProfile.BUCKET).object(blobKey(digest))
                .data(content, content.length).build()).get();
    }

    @Override
    void makeBlobOld(String digest) {
        // grace delay 0
    }

    @Override
    void makeUploadOld(String uploadId) {
        // grace delay 0
    }

    @Override
    boolean blobStored(String digest) throws Exception {
        try {
            S3.statObject(StatObjectArgs.builder().bucket(S3SweepProfile.BUCKET).object(blobKey(digest)).build()).get();
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ErrorResponseException) {
                return false;
            }
            throw e;
        }
    }

    @Override
    boolean uploadStored(String uploadId) {
        return S3.listObjects(ListObjectsArgs.builder().bucket(S3SweepProfile.BUCKET).prefix("uploads/" + uploadId + "/")
                .recursive(true).build()).iterator().hasNext();
    }

    @Test
    void aMultipartUploadOpenLongerThanTheUploadExpiryIsAborted() throws Exception {
        String key = blobKey(io.cais.testing.Blobs.sha256(io.cais.testing.Blobs.random(10)));
        String id = S3.createMultipartUpload(CreateMultipartUploadArgs.builder().bucket(S3SweepProfile.BUCKET).object(key)
                .build()).get().result().uploadId();
        assertThat(openMultipartUploads()).contains(id);
        Thread.sleep(1100); // the upload expiry is one second

        assertThat(sweep(false).getList("staleMultipartUploads.items", String.class)).contains(key + " " + id);

        assertThat(openMultipartUploads()).doesNotContain(id);
    }

    private static List<String> openMultipartUploads() throws Exception {
        ListMultipartUploadsResult result = S3.listMultipartUploads(ListMultipartUploadsArgs.builder()
                .bucket(S3SweepProfile.BUCKET).build()).get().result();
        return result.uploads() == null ? List.of()
                : result.uploads().stream().map(ListMultipartUploadsResult.Upload::uploadId).toList();
    }
}
