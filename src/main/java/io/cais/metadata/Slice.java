package io.cais.metadata;

import java.util.List;

/** One page of a sorted, filtered listing that is paged by position (the web console's tables), and its total. */
public record Slice<T>(List<T> items, long total) {
}
