package io.cais.error;

/** What a request can find unavailable: the two stores every replica depends on. */
public enum Dependency {
    DATABASE("PostgreSQL"),
    BLOB_STORE("blob store");

    private final String label;

    Dependency(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
