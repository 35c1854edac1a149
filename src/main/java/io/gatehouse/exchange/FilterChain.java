package io.gatehouse.exchange;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The filters one request passes, in order: compiled once per config snapshot (see {@link RuntimeConfig}) and run
 * by the client connection's exchange handler. Immutable.
 */
public final class FilterChain {

    private static final FilterChain EMPTY = new FilterChain(List.of());

    private final Filter[] filters;

    private FilterChain(List<Filter> filters) {
        this.filters = filters.toArray(new Filter[0]);
    }

    public static FilterChain of(List<Filter> filters) {
        return filters.isEmpty() ? EMPTY : new FilterChain(filters);
    }

    public int size() {
        return filters.length;
    }

    public Filter get(int index) {
        return filters[index];
    }

    public List<String> names() {
        return List.of(filters).stream().map(Filter::name).collect(Collectors.toUnmodifiableList());
    }

    @Override
    public String toString() {
        return String.join(" -> ", names());
    }
}
