package io.cais.storage;

import io.minio.Http;
import io.minio.MinioAsyncClient;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Builds the configured {@link BlobStore}. */
@ApplicationScoped
public class BlobStoreProducer {

    private static final Logger LOG = Logger.getLogger(BlobStoreProducer.class);

    @Produces
    @Singleton
    BlobStore blobStore(StorageConfig config, Vertx vertx) throws IOException {
        return switch (config.type()) {
            case FILESYSTEM -> {
                Path root = Path.of(config.filesystem().root());
                LOG.infof("blob store: filesystem at %s", root.toAbsolutePath());
                yield new FilesystemBlobStore(root);
            }
            case S3 -> {
                StorageConfig.S3 s3 = config.s3();
                String endpoint = s3.endpoint().orElseThrow(() ->
                        new IllegalStateException("cais.storage.s3.endpoint is required with cais.storage.type=s3"));
                // The SDK's default client waits up to 5 minutes on a silent endpoint; ours waits seconds. Its
                // dispatcher runs 5 requests per host at once and its pool keeps 5 idle connections: far too few
                // for parallel blob streams and a commit's concurrent part copies.
                Dispatcher dispatcher = new Dispatcher();
                dispatcher.setMaxRequests(s3.maxConnections());
                dispatcher.setMaxRequestsPerHost(s3.maxConnections());
                OkHttpClient http = Http.newDefaultClient().newBuilder()
                        .dispatcher(dispatcher)
                        .connectionPool(new ConnectionPool(s3.maxConnections(), 5, TimeUnit.MINUTES))
                        .connectTimeout(s3.connectTimeout())
                        .readTimeout(s3.readTimeout())
                        .writeTimeout(s3.writeTimeout())
                        .build();
                MinioAsyncClient.Builder builder = MinioAsyncClient.builder().endpoint(endpoint).region(s3.region())
                        .httpClient(http, true);
                if (s3.accessKey().isPresent()) {
                    builder.credentials(s3.accessKey().get(), s3.secretKey().orElse(""));
                }
                MinioAsyncClient client = builder.build();
                if (s3.pathStyle()) {
                    client.disableVirtualStyleEndpoint();
                } else {
                    client.enableVirtualStyleEndpoint();
                }
                LOG.infof("blob store: S3 bucket %s at %s", s3.bucket(), endpoint);
                yield new S3BlobStore(client, s3,
                        s3.directPulls() ? Optional.of(new S3Bodies(vertx, s3)) : Optional.empty());
            }
        };
    }
}
