package io.cais.upload;

import io.agroal.api.AgroalDataSource;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Abandoned uploads are deleted with their stored segments; live ones are left alone.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class UploadJanitorTest {

    @Inject
    UploadJanitor janitor;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    io.cais.metadata.UploadStore sessions;

    @Test
    void uploadsIdleLongerThanTheExpiryAreDeletedWithTheirSegments() throws Exception {
        String repo = Blobs.repository("janitor");
        String abandoned = startWithData(repo);
        String live = startWithData(repo);
        age(abandoned, "2 days");

        assertThat(janitor.purgeExpired()).isGreaterThanOrEqualTo(1);

        request().get(abandoned).then().statusCode(404);
        request().get(live).then().statusCode(204).header("Range", "0-99");
        assertThat(segmentFolder(abandoned)).doesNotExist();
        assertThat(segmentFolder(live)).exists();
    }

    private static io.restassured.specification.RequestSpecification request() {
        return given().header("Authorization", io.cais.testing.Admin.basic());
    }

    private static String startWithData(String repo) {
        String location = request().post("/v2/" + repo + "/blobs/uploads/").then().statusCode(202).extract().header("Location");
        request().contentType("application/octet-stream").header("Content-Range", "0-99").body(Blobs.random(100))
                .patch(location).then().statusCode(202);
        return location;
    }

    private void age(String location, String interval) throws Exception {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(
                "UPDATE upload_session SET updated_at = now() - ?::interval WHERE id = ?::uuid")) {
            statement.setString(1, interval);
            statement.setString(2, location.substring(location.lastIndexOf('/') + 1));
            assertThat(statement.executeUpdate()).isEqualTo(1);
        }
    }

    private static Path segmentFolder(String location) {
        return Path.of("target/test-data/blobs/uploads", location.substring(location.lastIndexOf('/') + 1));
    }

    @Test
    void anUploadBeingDeletedTakesNoMoreChunksAndIsUnknownToEveryRequest() throws Exception {
        String repo = Blobs.repository("janitor");
        String location = startWithData(repo);
        sessions.expire(java.util.UUID.fromString(location.substring(location.lastIndexOf('/') + 1)));

        request().contentType("application/octet-stream").header("Content-Range", "100-109").body(Blobs.random(10))
                .patch(location).then().statusCode(404).body("errors[0].code", org.hamcrest.Matchers.equalTo("BLOB_UPLOAD_UNKNOWN"));
        request().get(location).then().statusCode(404);
        assertThat(rows(location)).isEqualTo(1); // the row stays until its segments are gone
    }

    @Test
    void theRowOfAnAbandonedUploadIsDeletedAfterItsSegments() throws Exception {
        String location = startWithData(Blobs.repository("janitor"));
        age(location, "2 days");

        janitor.purgeExpired();

        assertThat(segmentFolder(location)).doesNotExist();
        assertThat(rows(location)).isZero();
    }

    private int rows(String location) throws Exception {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(
                "SELECT count(*) FROM upload_session WHERE id = ?::uuid")) {
            statement.setString(1, location.substring(location.lastIndexOf('/') + 1));
            try (var result = statement.executeQuery()) {
                result.next();
                return result.getInt(1);
            }
        }
    }

    @Test
    void nothingExpiredMeansNothingDeleted() {
        String live = startWithData(Blobs.repository("janitor"));
        janitor.purgeExpired();
        request().get(live).then().statusCode(204);
    }
}
