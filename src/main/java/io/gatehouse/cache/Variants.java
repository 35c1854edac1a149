package io.gatehouse.cache;

import io.netty.handler.codec.http.HttpHeaders;

import java.util.ArrayList;
import java.util.List;

/**
 * The stored responses of one {@link CacheKey}: the header names their {@code Vary} lists, and at most {@value
 * HttpCache#MAX_VARIANTS} responses told apart by the request's values of those headers. Immutable.
 */
final class Variants {

    private final List<String> varyNames;
    private final List<CachedResponse> responses;
    private final long staleIfErrorMillis;

    Variants(List<String> varyNames, List<CachedResponse> responses, long staleIfErrorMillis) {
        this.varyNames = List.copyOf(varyNames);
        this.responses = List.copyOf(responses);
        this.staleIfErrorMillis = staleIfErrorMillis;
    }

    List<String> varyNames() {
        return varyNames;
    }

    List<CachedResponse> responses() {
        return responses;
    }

    /** The stored response for a request with these headers, or null. */
    CachedResponse find(HttpHeaders request) {
        String wanted = variant(varyNames, request);
        for (CachedResponse response : responses) {
            if (response.variant().equals(wanted)) {
                return response;
            }
        }
        return null;
    }

    /**
     * These variants with {@code response} stored (replacing its own variant), or null when that would make more
     * than the limit. A response whose {@code Vary} lists other names replaces every variant: the backend changed
     * what its responses depend on.
     */
    Variants with(List<String> names, CachedResponse response, int limit, long staleIfError) {
        List<CachedResponse> next = new ArrayList<>(responses.size() + 1);
        if (names.equals(varyNames)) {
            for (CachedResponse existing : responses) {
                if (!existing.variant().equals(response.variant())) {
                    next.add(existing);
                }
            }
        }
        next.add(response);
        if (next.size() > limit) {
            return null;
        }
        return new Variants(names, next, staleIfError);
    }

    /** These variants without {@code response}; null when none is left. */
    Variants without(CachedResponse response) {
        List<CachedResponse> next = new ArrayList<>(responses);
        next.remove(response);
        return next.isEmpty() ? null : new Variants(varyNames, next, staleIfErrorMillis);
    }

    int weight() {
        long sum = 0;
        for (CachedResponse response : responses) {
            sum += response.weight();
        }
        return (int) Math.min(Integer.MAX_VALUE, sum);
    }

    long keepUntil() {
        long until = Long.MIN_VALUE;
        for (CachedResponse response : responses) {
            until = Math.max(until, response.keepUntil(staleIfErrorMillis));
        }
        return until;
    }

    /**
     * A request's values of the headers {@code names} lists, as one string: each field's values joined by commas
     * without the spaces around them, an absent field told apart from an empty one.
     */
    static String variant(List<String> names, HttpHeaders request) {
        if (names.isEmpty()) {
            return "";
        }
        StringBuilder key = new StringBuilder();
        for (String name : names) {
            List<String> values = request.getAll(name);
            if (values.isEmpty()) {
                key.append('\u0001');
            } else {
                boolean first = true;
                for (String value : values) {
                    for (String part : value.split(",", -1)) {
                        if (!first) {
                            key.append(',');
                        }
                        key.append(part.trim());
                        first = false;
                    }
                }
            }
            key.append('\u0000');
        }
        return key.toString();
    }
}
