package io.gatehouse.auth.jwt;

import com.nimbusds.jose.jwk.JWKSet;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.JwtProviderConfig;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The JWT providers of the running config, owned by the server: it outlives config snapshots so that a reload that
 * keeps a provider's {@code jwks_url} and {@code refresh} keeps its fetched keys and its refresh schedule; a
 * provider that is gone or changed has its source closed. A {@code jwks_file} provider's keys come with each config
 * (the file is read when the config is loaded). {@link #load} runs off the event loops, with the config.
 */
public final class JwtProviders implements AutoCloseable {

    private final Function<JwtProviderConfig, RemoteKeySource> remote;
    private final Clock clock;
    private final Map<String, Remote> sources = new HashMap<>();

    private record Remote(JwtProviderConfig config, RemoteKeySource source) {
        boolean sameSource(JwtProviderConfig other) {
            return config.jwksUrl().equals(other.jwksUrl()) && config.refresh().equals(other.refresh());
        }
    }

    private JwtProviders(Function<JwtProviderConfig, RemoteKeySource> remote, Clock clock) {
        this.remote = remote;
        this.clock = clock;
    }

    /** Fetching with {@code client}, scheduling on {@code scheduler}. */
    public static JwtProviders fetching(JwksClient client, RemoteKeySource.Scheduler scheduler) {
        return new JwtProviders(p -> new RemoteKeySource(p.name(), p.jwksUrl().toString(), p.refresh(),
                () -> client.get(p.jwksUrl()), scheduler, System::nanoTime), Clock.systemUTC());
    }

    /** With sources made by {@code remote}, and {@code clock} for the claims: for tests. */
    public static JwtProviders using(Function<JwtProviderConfig, RemoteKeySource> remote, Clock clock) {
        return new JwtProviders(remote, clock);
    }

    /**
     * Never fetching: a {@code jwks_url} provider has no keys (its tokens are refused as signed by an unknown key).
     * For {@code --check} and tests of the request path that use key files.
     */
    public static JwtProviders detached() {
        return new JwtProviders(null, Clock.systemUTC());
    }

    /** The verifiers of {@code config}'s providers, by name; starts the first fetch of each new URL. */
    public synchronized Map<String, JwtVerifier> load(GatewayConfig config) {
        Map<String, JwtVerifier> verifiers = new LinkedHashMap<>();
        Map<String, Remote> kept = new HashMap<>();
        for (JwtProviderConfig provider : config.auth().jwt().values()) {
            KeySource keys;
            if (provider.jwks() != null) {
                keys = KeySource.fixed(parse(provider.jwks()));
            } else if (remote == null) {
                keys = KeySource.fixed(new JWKSet());
            } else {
                Remote existing = sources.get(provider.name());
                Remote current = existing != null && existing.sameSource(provider) ? existing
                        : new Remote(provider, remote.apply(provider));
                kept.put(provider.name(), current);
                keys = current.source();
            }
            verifiers.put(provider.name(), new JwtVerifier(provider, keys, clock));
        }
        sources.forEach((name, old) -> {
            if (kept.get(name) != old) {
                old.source().close();
            }
        });
        sources.clear();
        sources.putAll(kept);
        return verifiers;
    }

    private static JWKSet parse(String jwks) {
        try {
            return JWKSet.parse(jwks).toPublicJWKSet();
        } catch (ParseException e) {
            // The config reader parsed the same text already.
            throw new IllegalStateException("jwks_file no longer parses", e);
        }
    }

    /** Whether every provider's first fetch has finished, successfully or not. */
    public synchronized boolean ready() {
        return sources.values().stream().allMatch(r -> r.source().ready());
    }

    /** Waits up to {@code timeout} for the first fetches, off the event loops (start-up, tests). */
    public void awaitReady(Duration timeout) {
        CompletableFuture<?>[] first;
        synchronized (this) {
            first = sources.values().stream().map(r -> r.source().firstFetch().toCompletableFuture())
                    .toArray(CompletableFuture[]::new);
        }
        try {
            CompletableFuture.allOf(first).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // Not ready yet: /ready says so, and the sources go on trying.
        }
    }

    /** The source of the {@code jwks_url} provider {@code name}, or null. */
    public synchronized RemoteKeySource source(String name) {
        Remote r = sources.get(Objects.requireNonNull(name));
        return r == null ? null : r.source();
    }

    @Override
    public synchronized void close() {
        sources.values().forEach(r -> r.source().close());
        sources.clear();
    }
}
