package io.cais.metadata;

import java.util.List;

/** One page of a lexically ordered listing, and whether more follow. */
public record Page<T>(List<T> items, boolean more) {

    /** Splits the {@code limit + 1} rows a query fetched into a page of {@code limit} and a "more" flag. */
    public static <T> Page<T> of(List<T> rows, int limit) {
        return rows.size() > limit ? new Page<>(List.copyOf(rows.subList(0, limit)), true) : new Page<>(List.copyOf(rows), false);
    }
}
