package io.cais.metadata;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A page of the rows a filter keeps, where the filter cannot run in SQL (a robot's repository patterns, an index's
 * platforms): batches of {@code limit + 1} rows are read after the last row seen until the page is full or the rows
 * run out, so a filter that drops many rows still yields full pages.
 */
final class FilteredPages {

    /** The {@code limit + 1} rows after a cursor, in the listing's order. */
    @FunctionalInterface
    interface Batch<T> {
        List<T> after(String cursor);
    }

    private FilteredPages() {
    }

    static <T> Page<String> page(String last, int limit, Batch<T> batch, Function<T, String> key, Predicate<T> keep) {
        List<String> page = new ArrayList<>();
        String cursor = last == null ? "" : last;
        while (page.size() <= limit) {
            List<T> rows = batch.after(cursor);
            for (T row : rows) {
                if (page.size() <= limit && keep.test(row)) {
                    page.add(key.apply(row));
                }
            }
            if (rows.size() < limit + 1) {
                break;
            }
            cursor = key.apply(rows.getLast());
        }
        return Page.of(page, limit);
    }
}
