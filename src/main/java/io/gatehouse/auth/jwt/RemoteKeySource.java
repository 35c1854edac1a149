package io.gatehouse.auth.jwt;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A provider's key set from its {@code jwks_url}. The first fetch starts when the source is made; requests read the
 * current set, an immutable {@link JWKSet} published through a volatile field, and never wait for the network —
 * except a request whose {@code kid} is not in the set, which may wait (at most {@link #REFETCH_WAIT}) on a
 * refetch: one at a time (concurrent callers share it), and at most one per {@link #REFETCH_INTERVAL}, so random
 * key ids cannot make the gateway hammer the identity provider. The set is fetched again in the background after
 * {@code refresh}, sooner when the response's {@code Cache-Control: max-age} says so (within 1 minute to 24 hours).
 * When a fetch fails, or brings something that is not a non-empty key set, the last good keys stay in use: logged
 * once when it starts failing and once when it recovers, retried with a growing delay.
 */
public final class RemoteKeySource implements KeySource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RemoteKeySource.class);

    /** At most one refetch for an unknown {@code kid} per this long. */
    public static final Duration REFETCH_INTERVAL = Duration.ofSeconds(30);
    /** How long a request waits on a refetch at most. */
    public static final Duration REFETCH_WAIT = Duration.ofSeconds(2);
    static final Duration MIN_MAX_AGE = Duration.ofMinutes(1);
    static final Duration MAX_MAX_AGE = Duration.ofHours(24);
    static final Duration FIRST_RETRY = Duration.ofSeconds(15);

    /** Runs a task later: the JWKS event loop in production, a hand-driven queue in tests. */
    public interface Scheduler {
        Future<?> schedule(Runnable task, Duration delay);
    }

    private final String provider;
    private final String url;
    private final Duration refresh;
    private final Supplier<CompletableFuture<JwksClient.Response>> fetcher;
    private final Scheduler scheduler;
    private final LongSupplier nanoClock;

    private volatile JWKSet keys = new JWKSet();
    private volatile boolean ready;
    private volatile boolean failing;
    private volatile boolean closed;
    /** The fetch in progress and its bounded wait for requests; null when none is. */
    private final AtomicReference<Flight> inFlight = new AtomicReference<>();
    private final AtomicLong lastRefetch;
    private Duration retry = FIRST_RETRY;
    private Future<?> next;

    private record Flight(CompletableFuture<Void> done, CompletableFuture<Void> bounded) {
    }

    /**
     * Makes the source and starts its first fetch.
     *
     * @param fetcher   one GET of the key set's URL
     * @param nanoClock a monotonic clock for {@link #REFETCH_INTERVAL}
     */
    public RemoteKeySource(String provider, String url, Duration refresh,
                           Supplier<CompletableFuture<JwksClient.Response>> fetcher, Scheduler scheduler,
                           LongSupplier nanoClock) {
        this.provider = provider;
        this.url = url;
        this.refresh = refresh;
        this.fetcher = fetcher;
        this.scheduler = scheduler;
        this.nanoClock = nanoClock;
        this.lastRefetch = new AtomicLong(nanoClock.getAsLong() - REFETCH_INTERVAL.toNanos());
        fetch();
    }

    @Override
    public JWKSet keys() {
        return keys;
    }

    @Override
    public boolean ready() {
        return ready;
    }

    /** The first fetch's outcome is known, for {@code /ready} and tests. */
    public CompletionStage<Void> firstFetch() {
        Flight flight = inFlight.get();
        return ready || flight == null ? KeySource.done() : flight.done;
    }

    @Override
    public CompletionStage<?> refetch() {
        Flight flight = inFlight.get();
        if (flight != null) {
            return flight.bounded;
        }
        long now = nanoClock.getAsLong();
        long last = lastRefetch.get();
        if (now - last < REFETCH_INTERVAL.toNanos() || !lastRefetch.compareAndSet(last, now)) {
            return null;
        }
        return fetch().bounded;
    }

    /** Starts a fetch, or joins the one in progress. */
    private Flight fetch() {
        while (true) {
            Flight current = inFlight.get();
            if (current != null) {
                return current;
            }
            CompletableFuture<Void> done = new CompletableFuture<>();
            Flight flight = new Flight(done, done.copy().completeOnTimeout(null, REFETCH_WAIT.toMillis(),
                    TimeUnit.MILLISECONDS));
            if (!inFlight.compareAndSet(null, flight)) {
                continue;
            }
            CompletableFuture<JwksClient.Response> response;
            try {
                response = fetcher.get();
            } catch (RuntimeException e) {
                response = CompletableFuture.failedFuture(e);
            }
            response.whenComplete((r, e) -> {
                Duration delay = e == null ? accept(r) : failed(e);
                ready = true;
                inFlight.set(null);
                schedule(delay);
                done.complete(null);
            });
            return flight;
        }
    }

    /** A response came: the new set if it is one, and when to fetch next. */
    private Duration accept(JwksClient.Response response) {
        JWKSet set;
        try {
            set = JWKSet.parse(response.body()).toPublicJWKSet();
        } catch (ParseException | RuntimeException e) {
            return failed(new IllegalStateException("the response is not a JSON Web Key Set"));
        }
        List<JWK> signing = set.getKeys().stream()
                .filter(k -> k.getKeyUse() == null || KeyUse.SIGNATURE.equals(k.getKeyUse())).toList();
        if (signing.isEmpty()) {
            return failed(new IllegalStateException("the key set has no signing keys"));
        }
        keys = new JWKSet(signing);
        if (failing) {
            LOG.info("JWT provider {}: key set fetched again from {} ({} keys)", provider, url, signing.size());
        }
        failing = false;
        retry = FIRST_RETRY;
        Duration delay = refresh;
        if (response.maxAge() != null) {
            Duration maxAge = response.maxAge().compareTo(MIN_MAX_AGE) < 0 ? MIN_MAX_AGE
                    : response.maxAge().compareTo(MAX_MAX_AGE) > 0 ? MAX_MAX_AGE : response.maxAge();
            delay = maxAge.compareTo(delay) < 0 ? maxAge : delay;
        }
        return delay;
    }

    private Duration failed(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (!failing) {
            failing = true;
            LOG.warn("JWT provider {}: cannot fetch the key set from {} ({}); {}", provider, url, cause.getMessage(),
                    keys.isEmpty() ? "its tokens are refused until a fetch succeeds"
                            : "the last good keys stay in use");
        }
        Duration delay = retry.compareTo(refresh) < 0 ? retry : refresh;
        retry = retry.multipliedBy(2);
        return delay;
    }

    private synchronized void schedule(Duration delay) {
        if (closed) {
            return;
        }
        if (next != null) {
            next.cancel(false);
        }
        next = scheduler.schedule(this::fetch, delay);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel(false);
        }
    }
}
