package io.cais.testing;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;
import java.util.UUID;

/** Test content: random blobs and their digests, computed independently of the registry's own code. */
public final class Blobs {

    private static final Random RANDOM = new Random();

    private Blobs() {
    }

    public static byte[] random(int size) {
        byte[] bytes = new byte[size];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    public static String sha256(byte[] bytes) {
        return "sha256:" + hex("SHA-256", bytes);
    }

    public static String sha512(byte[] bytes) {
        return "sha512:" + hex("SHA-512", bytes);
    }

    private static String hex(String algorithm, byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The namespace test repositories live in (created by the test data migration). */
    public static final String NAMESPACE = "tests";

    /** A fresh repository name per test, so tests never see each other's blobs. */
    public static String repository(String prefix) {
        return NAMESPACE + "/" + prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public static byte[] slice(byte[] bytes, int from, int to) {
        byte[] out = new byte[to - from];
        System.arraycopy(bytes, from, out, 0, out.length);
        return out;
    }
}
