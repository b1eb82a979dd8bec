package io.cais.upload;

import io.cais.testing.Admin;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

/** An upload whose stored file is shorter than its recorded length (filesystem store) is refused, never filled with a hole. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class DamagedUploadTest {

    @Test
    void aChunkAfterAStoredUploadWasCutShortIsRefusedWithTheOciError() throws Exception {
        String repo = Blobs.repository("damaged");
        String location = given().header("Authorization", Admin.basic()).post("/v2/" + repo + "/blobs/uploads/")
                .then().statusCode(202).extract().header("Location");
        given().header("Authorization", Admin.basic()).contentType("application/octet-stream").header("Content-Range", "0-99")
                .body(Blobs.random(100)).patch(location).then().statusCode(202);
        Path folder = Path.of("target/test-data/blobs/uploads", location.substring(location.lastIndexOf('/') + 1));
        try (Stream<Path> files = Files.list(folder); FileChannel channel = FileChannel.open(files.findFirst().orElseThrow(),
                StandardOpenOption.WRITE)) {
            channel.truncate(60);
        }

        given().header("Authorization", Admin.basic()).contentType("application/octet-stream").header("Content-Range", "100-109")
                .body(Blobs.random(10)).patch(location)
                .then().statusCode(400)
                .body("errors[0].code", equalTo("BLOB_UPLOAD_INVALID"))
                .body("errors[0].detail.recorded", equalTo(100))
                .body("errors[0].detail.stored", equalTo(60));
        given().header("Authorization", Admin.basic()).get(location).then().statusCode(204).header("Range", "0-99");
    }
}
