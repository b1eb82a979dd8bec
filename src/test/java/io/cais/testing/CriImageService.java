package io.cais.testing;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The CRI image service of a container runtime ({@code runtime.v1.ImageService}, k8s.io/cri-api), called over the
 * runtime's Unix socket exactly as the kubelet calls it to pull a pod's image, credentials included. The three
 * messages used are encoded by hand with the field numbers of the public {@code api.proto}, which spares the
 * build a protoc step:
 * <pre>
 * message PullImageRequest  { ImageSpec image = 1; AuthConfig auth = 2; PodSandboxConfig sandbox_config = 3; }
 * message ImageSpec         { string image = 1; … }
 * message AuthConfig        { string username = 1; string password = 2; … }
 * message PullImageResponse { string image_ref = 1; }
 * </pre>
 */
public final class CriImageService implements AutoCloseable {

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    private static final MethodDescriptor<byte[], byte[]> PULL_IMAGE = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("runtime.v1.ImageService/PullImage")
            .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();

    private final ManagedChannel channel;

    public CriImageService(Path socket) {
        // grpc-netty-shaded carries Netty's epoll transport, which speaks Unix domain sockets.
        this.channel = Grpc.newChannelBuilder("unix://" + socket.toAbsolutePath(), InsecureChannelCredentials.create()).build();
    }

    /** The credentials of a pull: what the kubelet takes from an imagePullSecret; null for an anonymous pull. */
    public record Auth(String username, String password) {
    }

    /**
     * {@code PullImage}: the runtime resolves {@code image} for its own platform and pulls what it does not have.
     * Returns the pulled image's reference (its config digest). A refused pull throws the runtime's
     * {@code StatusRuntimeException}, whose description carries the registry's answer; a hang ends at
     * {@code timeout} with DEADLINE_EXCEEDED.
     */
    public String pullImage(String image, Auth auth, Duration timeout) {
        byte[] response = ClientCalls.blockingUnaryCall(channel, PULL_IMAGE,
                CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS), pullImageRequest(image, auth));
        return imageRef(response);
    }

    static byte[] pullImageRequest(String image, Auth auth) {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        try {
            CodedOutputStream out = CodedOutputStream.newInstance(request);
            out.writeByteArray(1, imageSpec(image));
            if (auth != null) {
                out.writeByteArray(2, authConfig(auth));
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return request.toByteArray();
    }

    private static byte[] imageSpec(String image) throws IOException {
        ByteArrayOutputStream spec = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(spec);
        out.writeString(1, image);
        out.flush();
        return spec.toByteArray();
    }

    private static byte[] authConfig(Auth auth) throws IOException {
        ByteArrayOutputStream config = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(config);
        out.writeString(1, auth.username());
        out.writeString(2, auth.password());
        out.flush();
        return config.toByteArray();
    }

    static String imageRef(byte[] response) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(response);
            String imageRef = "";
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                if (WireFormat.getTagFieldNumber(tag) == 1) {
                    imageRef = in.readString();
                } else {
                    in.skipField(tag);
                }
            }
            return imageRef;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
}
