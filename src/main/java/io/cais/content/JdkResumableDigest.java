package io.cais.content;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * The JDK's own SHA-2 (intrinsic-accelerated) with its state read and written through the provider's fields.
 * This keeps the fast digest on every path of a chunked upload. It needs the package
 * {@code java.base/sun.security.provider} open to Cais (done at start, see {@link Internals#load}); where that
 * is impossible {@link ResumableDigests} falls back to BouncyCastle.
 */
final class JdkResumableDigest implements ResumableDigest {

    private static final Internals INTERNALS = Internals.load();

    private final DigestAlgorithm algorithm;
    private final Object spi;

    private JdkResumableDigest(DigestAlgorithm algorithm, Object spi) {
        this.algorithm = algorithm;
        this.spi = spi;
    }

    static JdkResumableDigest start(DigestAlgorithm algorithm) {
        return new JdkResumableDigest(algorithm, INTERNALS.newSpi(algorithm));
    }

    static JdkResumableDigest restore(DigestAlgorithm algorithm, byte[] snapshot) {
        Object spi = INTERNALS.newSpi(algorithm);
        ByteBuffer in = ByteBuffer.wrap(snapshot, 2, snapshot.length - 2);
        long processed = in.getLong();
        int bufferOffset = in.getInt();
        byte[] buffer = (byte[]) INTERNALS.buffer.get(spi);
        in.get(buffer, 0, bufferOffset);
        if (algorithm == DigestAlgorithm.SHA256) {
            int[] state = (int[]) INTERNALS.sha2State.get(spi);
            for (int i = 0; i < state.length; i++) {
                state[i] = in.getInt();
            }
        } else {
            long[] state = (long[]) INTERNALS.sha5State.get(spi);
            for (int i = 0; i < state.length; i++) {
                state[i] = in.getLong();
            }
        }
        INTERNALS.bytesProcessed.set(spi, processed);
        INTERNALS.bufferOffset.set(spi, bufferOffset);
        return new JdkResumableDigest(algorithm, spi);
    }

    @Override
    public DigestAlgorithm algorithm() {
        return algorithm;
    }

    @Override
    public void update(byte[] bytes, int offset, int length) {
        try {
            INTERNALS.update.invoke(spi, bytes, offset, length);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public long length() {
        return (long) INTERNALS.bytesProcessed.get(spi);
    }

    @Override
    public Digest current() {
        try {
            Object copy = INTERNALS.cloneSpi.invoke(spi);
            return Digest.of(algorithm, (byte[]) INTERNALS.digest.invoke(copy));
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public byte[] exportState() {
        int bufferOffset = (int) INTERNALS.bufferOffset.get(spi);
        byte[] buffer = (byte[]) INTERNALS.buffer.get(spi);
        ByteBuffer out = ByteBuffer.allocate(8 + 4 + bufferOffset + 64);
        out.putLong(length()).putInt(bufferOffset).put(buffer, 0, bufferOffset);
        if (algorithm == DigestAlgorithm.SHA256) {
            for (int word : (int[]) INTERNALS.sha2State.get(spi)) {
                out.putInt(word);
            }
        } else {
            for (long word : (long[]) INTERNALS.sha5State.get(spi)) {
                out.putLong(word);
            }
        }
        byte[] body = new byte[out.position()];
        out.flip().get(body);
        return ResumableDigests.header(ResumableDigests.FORMAT_JDK, algorithm, body);
    }

    /** Handles on sun.security.provider internals, resolved once. */
    private record Internals(MethodHandle sha256, MethodHandle sha512, MethodHandle update, MethodHandle digest,
                             MethodHandle cloneSpi, VarHandle buffer, VarHandle bufferOffset, VarHandle bytesProcessed,
                             VarHandle sha2State, VarHandle sha5State) {

        static Internals load() {
            try {
                return resolve();
            } catch (IllegalAccessException e) {
                openProviderPackage();
                try {
                    return resolve();
                } catch (ReflectiveOperationException | RuntimeException again) {
                    throw new IllegalStateException("JDK digest internals are not accessible", again);
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("JDK digest internals are not accessible", e);
            }
        }

        /**
         * Quarkus' runner jar opens java.lang (its manifest's Add-Opens, which a project cannot extend), and
         * through java.lang the provider package can be opened to this class alone. Without that, the caller
         * falls back to BouncyCastle.
         */
        private static void openProviderPackage() {
            try {
                java.lang.reflect.Method addOpens = Module.class.getDeclaredMethod("implAddOpens", String.class, Module.class);
                addOpens.setAccessible(true);
                addOpens.invoke(Object.class.getModule(), "sun.security.provider", JdkResumableDigest.class.getModule());
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot open sun.security.provider", e);
            }
        }

        private static Internals resolve() throws ReflectiveOperationException {
            {
                Class<?> base = Class.forName("sun.security.provider.DigestBase");
                Class<?> sha2 = Class.forName("sun.security.provider.SHA2");
                Class<?> sha5 = Class.forName("sun.security.provider.SHA5");
                MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(base, MethodHandles.lookup());
                MethodHandles.Lookup lookup2 = MethodHandles.privateLookupIn(sha2, MethodHandles.lookup());
                MethodHandles.Lookup lookup5 = MethodHandles.privateLookupIn(sha5, MethodHandles.lookup());
                Class<?> sha256 = Class.forName("sun.security.provider.SHA2$SHA256");
                Class<?> sha512 = Class.forName("sun.security.provider.SHA5$SHA512");
                return new Internals(
                        lookup.findConstructor(sha256, MethodType.methodType(void.class)),
                        lookup.findConstructor(sha512, MethodType.methodType(void.class)),
                        lookup.findVirtual(base, "engineUpdate",
                                MethodType.methodType(void.class, byte[].class, int.class, int.class)),
                        lookup.findVirtual(base, "engineDigest", MethodType.methodType(byte[].class)),
                        lookup.findVirtual(base, "clone", MethodType.methodType(Object.class)),
                        lookup.findVarHandle(base, "buffer", byte[].class),
                        lookup.findVarHandle(base, "bufOfs", int.class),
                        lookup.findVarHandle(base, "bytesProcessed", long.class),
                        lookup2.findVarHandle(sha2, "state", int[].class),
                        lookup5.findVarHandle(sha5, "state", long[].class));
            }
        }

        Object newSpi(DigestAlgorithm algorithm) {
            try {
                return algorithm == DigestAlgorithm.SHA256 ? sha256.invoke() : sha512.invoke();
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
