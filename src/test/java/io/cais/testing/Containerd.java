package io.cais.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real containerd (Debian's {@code containerd}) started by the test with a configuration of its own: root, state
 * and sockets in one directory, the CRI plugin on (the kubelet's image path) with the overlayfs snapshotter, and
 * per-registry {@code hosts.toml} files under {@code certs.d} — the way a node is told that a registry speaks plain
 * HTTP. No CNI is set up: pulling images does not need one.
 */
public final class Containerd implements AutoCloseable {

    private final Path dir;
    private final Daemon daemon;

    private Containerd(Path dir, Daemon daemon) {
        this.dir = dir;
        this.daemon = daemon;
    }

    /** Starts containerd in {@code dir}; fails (never skips) with an install hint when it is missing. */
    public static Containerd start(Path dir) throws IOException, InterruptedException {
        Path containerd = Commands.require("containerd", "install it with `apt-get install -y containerd`");
        Files.createDirectories(dir.resolve("certs.d"));
        Path config = dir.resolve("config.toml");
        Files.writeString(config, """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                [grpc]
                  address = "%1$s/containerd.sock"
                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"
                [debug]
                  address = "%1$s/debug.sock"
                [metrics]
                  address = ""
                [plugins."io.containerd.internal.v1.opt"]
                  path = "%1$s/opt"
                [plugins."io.containerd.grpc.v1.cri"]
                  disable_tcp_service = true
                  [plugins."io.containerd.grpc.v1.cri".containerd]
                    snapshotter = "overlayfs"
                  [plugins."io.containerd.grpc.v1.cri".registry]
                    config_path = "%1$s/certs.d"
                """.formatted(dir.toAbsolutePath()));
        Path socket = dir.resolve("containerd.sock");
        Daemon daemon = Daemon.start("containerd", dir, () -> Files.exists(socket),
                containerd.toString(), "--config", config.toString());
        return new Containerd(dir, daemon);
    }

    /** Tells containerd that the registry at {@code hostAndPort} is reached over plain HTTP. */
    public void trustPlainHttp(String hostAndPort) throws IOException {
        Path hosts = Files.createDirectories(dir.resolve("certs.d").resolve(hostAndPort)).resolve("hosts.toml");
        Files.writeString(hosts, "server = \"http://" + hostAndPort + "\"\n");
    }

    /**
     * A node's mirror configuration: pulls of images named {@code registryHost/…} go to the plain-HTTP mirror at
     * {@code mirrorHostAndPort} first (which containerd asks with {@code ?ns=registryHost}), then to the registry.
     */
    public void mirror(String registryHost, String mirrorHostAndPort) throws IOException {
        Path hosts = Files.createDirectories(dir.resolve("certs.d").resolve(registryHost)).resolve("hosts.toml");
        Files.writeString(hosts, "server = \"https://" + registryHost + "\"\n\n[host.\"http://" + mirrorHostAndPort
                + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n");
    }

    /** A client of containerd's CRI image service, as the kubelet has. */
    public CriImageService imageService() {
        return new CriImageService(dir.resolve("containerd.sock"));
    }

    public String log() {
        return daemon.log();
    }

    @Override
    public void close() {
        daemon.close();
    }
}
