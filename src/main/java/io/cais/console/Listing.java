package io.cais.console;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.quarkus.qute.TemplateData;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A table's query — filter, sort column and direction, page — as the URL carries it, so that every view is a link
 * (bookmarkable, the back button works, no script needed) and the server sorts and pages all matching rows.
 */
@TemplateData
public record Listing(String base, String filter, String sort, boolean descending, int page, int pageSize, long total) {

    private static final int MAX_PAGE_SIZE = 500;

    static Listing of(String base, String filter, String sort, String direction, Integer page, Integer size,
                      int defaultSize, List<String> sorts) {
        String chosen = sort == null || sort.isEmpty() ? sorts.getFirst() : sort.toLowerCase(Locale.ROOT);
        if (!sorts.contains(chosen)) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "sort must be one of " + String.join(", ", sorts), sort);
        }
        int pageSize = size == null ? defaultSize : size;
        if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
            throw new RegistryException(ErrorCode.PAGINATION_NUMBER_INVALID, "size must be between 1 and " + MAX_PAGE_SIZE, size);
        }
        if (page != null && page < 1) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "page starts at 1", page);
        }
        return new Listing(base, filter == null ? "" : filter.trim(), chosen, "desc".equals(direction),
                page == null ? 1 : page, pageSize, 0);
    }

    Listing withTotal(long total) {
        return new Listing(base, filter, sort, descending, page, pageSize, total);
    }

    int offset() {
        return (page - 1) * pageSize;
    }

    public long pages() {
        return Math.max(1, (total + pageSize - 1) / pageSize);
    }

    public String first() {
        return total == 0 ? "0" : String.valueOf(offset() + 1);
    }

    public String last() {
        return String.valueOf(Math.min(total, (long) offset() + pageSize));
    }

    public String previous() {
        return page > 1 ? url(sort, descending, page - 1) : null;
    }

    public String next() {
        return page < pages() ? url(sort, descending, page + 1) : null;
    }

    /** The link of a column header: sorts by it, or turns the direction round when it is the sort already. */
    public String sortBy(String column) {
        return url(column, column.equals(sort) && !descending, 1);
    }

    /** {@code ascending}, {@code descending} or {@code none}: the column header's {@code aria-sort}. */
    public String ariaSort(String column) {
        return !column.equals(sort) ? "none" : descending ? "descending" : "ascending";
    }

    public String arrow(String column) {
        return !column.equals(sort) ? "" : descending ? " ▼" : " ▲";
    }

    private String url(String column, boolean desc, int target) {
        List<String> query = new ArrayList<>();
        if (!filter.isEmpty()) {
            query.add("q=" + URLEncoder.encode(filter, StandardCharsets.UTF_8));
        }
        query.add("sort=" + column);
        if (desc) {
            query.add("dir=desc");
        }
        if (target > 1) {
            query.add("page=" + target);
        }
        return base + "?" + String.join("&", query);
    }
}
