package io.cais.sweep;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.ArrayList;
import java.util.List;

/**
 * What a consistency check found: every {@code blob} row checked against its object, some or all re-hashed. At most
 * {@link #LISTED} problems are listed; the counts are complete.
 */
public final class FsckReport {

    static final int LISTED = 1000;

    /** What is wrong with one blob. */
    public enum Kind {
        MISSING, WRONG_SIZE, WRONG_DIGEST;

        @JsonValue
        public String json() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * One blob's problem: its row's size, what the store holds ({@code storedSize}, {@code actualDigest}), whether a
     * repository or manifest references it, and whether the check repaired it (deleted the row of an unreferenced blob).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Problem(String digest, Kind kind, long size, Long storedSize, String actualDigest, boolean referenced,
                          boolean repaired) {
    }

    private final String rehash;
    private final boolean repair;
    private long checked;
    private long rehashed;
    private long bytesRehashed;
    private long problemCount;
    private long repairedCount;
    private final List<Problem> problems = new ArrayList<>();

    FsckReport(String rehash, boolean repair) {
        this.rehash = rehash;
        this.repair = repair;
    }

    void checked() {
        checked++;
    }

    void rehashed(long bytes) {
        rehashed++;
        bytesRehashed += bytes;
    }

    void problem(Problem problem) {
        problemCount++;
        if (problem.repaired()) {
            repairedCount++;
        }
        if (problems.size() < LISTED) {
            problems.add(problem);
        }
    }

    public String getRehash() {
        return rehash;
    }

    public boolean isRepair() {
        return repair;
    }

    public long getChecked() {
        return checked;
    }

    public long getRehashed() {
        return rehashed;
    }

    public long getBytesRehashed() {
        return bytesRehashed;
    }

    public long getProblemCount() {
        return problemCount;
    }

    public long getRepaired() {
        return repairedCount;
    }

    public List<Problem> getProblems() {
        return problems;
    }
}
