package io.gatehouse.ratelimit.redis;

import io.gatehouse.config.RedisConfig;
import io.gatehouse.config.RedisFailureMode;
import io.gatehouse.ratelimit.RateLimitDecision;
import io.gatehouse.ratelimit.RateLimiter;
import io.gatehouse.ratelimit.RateLimiterUnavailableException;
import io.gatehouse.ratelimit.SlidingWindowRateLimiter;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.util.HashedWheelTimer;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * The shared {@link RateLimiter}: the sliding window of {@link SlidingWindowRateLimiter}, kept in Redis so that
 * every gateway instance on the same Redis enforces one limit per client.
 *
 * <p><b>One round trip per request.</b> Each {@link #acquire} is one {@code EVALSHA} of {@link #SCRIPT}, which reads
 * the clock ({@code TIME}), the client's counters and, if the request is admitted, counts it and sets the key's
 * expiry, atomically. The script is known by its SHA-1; after a Redis restart or {@code SCRIPT FLUSH} the first
 * call gets {@code NOSCRIPT} and is sent again as {@code EVAL}, which loads it (a second round trip, once).
 *
 * <p><b>Semantics</b> are the local limiter's, to the bucket: per client a ring of {@code 20 + 1} bucket counters
 * (a Redis hash whose fields are absolute bucket numbers), never more than {@code limit} admitted in any interval of
 * length {@code window}, refused at most one bucket (5% of the window) early, rejected requests not counted. Time is
 * Redis's {@code TIME} in microseconds, so instances never disagree about it; if that clock steps back, counting
 * continues at the newest bucket seen (as the local limiter does), so a step back never over-admits.
 *
 * <p><b>Keys</b> are {@code {gh:<client>}:sw:<window µs>}: the hash tag keeps a client on one Redis Cluster slot,
 * the window in the name keeps instances with different windows (during a rolling config change) apart. A key
 * expires ({@code PEXPIRE}) when its last counted request leaves the window, so idle clients cost nothing.
 *
 * <p><b>Failure.</b> Commands time out after {@link RedisConfig#timeout()}; nothing is buffered while disconnected
 * and the in-flight queue is bounded. When Redis fails, {@link RedisConfig#onFailure()} decides: {@code LOCAL}
 * counts in a per-instance {@link SlidingWindowRateLimiter}, {@code OPEN} admits, {@code CLOSED} completes the stage
 * with {@link RateLimiterUnavailableException} (the handler answers 503). The outage is logged once when it starts
 * and once when it ends. While it lasts, one request at a time probes Redis and every other one takes the failure
 * path at once, so a hung Redis costs one request per timeout, not every request; the first probe that succeeds
 * ends the outage.
 *
 * <p><b>Redis Cluster.</b> With {@link RedisConfig#cluster()} the limiter connects through Lettuce's
 * {@link RedisClusterClient} to the seed node in the URL and discovers the rest; each {@code EVALSHA} goes straight
 * to the master of its key's slot (the cluster client routes by the first key, and the script touches only that
 * key, so the hash tag is all the routing it needs). The topology is refreshed every
 * {@link #CLUSTER_REFRESH_PERIOD} and at once (at most once per {@link #CLUSTER_ADAPTIVE_REFRESH_TIMEOUT}) on
 * {@code MOVED}/{@code ASK} redirects, repeated reconnects and unknown nodes. Only the connection differs between a
 * single Redis and a Cluster: both expose the same scripting commands, and the script logic, the failure handling
 * and the options (commands rejected while disconnected, bounded queue, {@link RedisConfig#timeout()}) are shared.
 *
 * <p><b>Threads.</b> Never blocks the caller: futures complete on Lettuce's one I/O thread (or its timer thread on
 * timeout), and the handler moves back to the channel's event loop. Lettuce gets its own small resources: one I/O
 * thread, one computation thread, a 5 ms timer.
 */
public final class RedisRateLimiter implements RateLimiter {

    /**
     * KEYS[1] the client's hash; ARGV limit, bucket length (µs), ring length, and optionally "now" in µs (tests
     * only). Returns {allowed 0/1, remaining, retry-after µs, reset µs}; mirrors SlidingWindowRateLimiter.acquire.
     */
    static final String SCRIPT = """
            if redis.replicate_commands then redis.replicate_commands() end
            local key = KEYS[1]
            local limit = tonumber(ARGV[1])
            local len = tonumber(ARGV[2])
            local ring = tonumber(ARGV[3])
            local now
            if ARGV[4] then
              now = tonumber(ARGV[4])
            else
              local t = redis.call('TIME')
              now = tonumber(t[1]) * 1000000 + tonumber(t[2])
            end
            local bucket = math.floor(now / len)
            local flat = redis.call('HGETALL', key)
            local counts = {}
            local head = nil
            for i = 1, #flat, 2 do
              local b = tonumber(flat[i])
              counts[b] = tonumber(flat[i + 1])
              if head == nil or b > head then head = b end
            end
            if head ~= nil and bucket < head then
              bucket = head
              now = bucket * len
            end
            local oldest = bucket - ring + 1
            local total = 0
            local stale = {}
            for b, c in pairs(counts) do
              if b < oldest then stale[#stale + 1] = string.format('%d', b) else total = total + c end
            end
            if total < limit then
              if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
              redis.call('HINCRBY', key, string.format('%d', bucket), 1)
              local reset = (bucket + ring) * len - now
              redis.call('PEXPIRE', key, math.ceil(reset / 1000))
              return {1, limit - total - 1, 0, reset}
            end
            local excess = total - limit + 1
            local freed = 0
            local freeing = oldest
            while true do
              freed = freed + (counts[freeing] or 0)
              if freed >= excess then break end
              freeing = freeing + 1
            end
            local newest = bucket
            while (counts[newest] or 0) == 0 do newest = newest - 1 end
            return {0, 0, (freeing + ring) * len - now, (newest + ring) * len - now}
            """;

    static final String SCRIPT_SHA = sha1(SCRIPT);

    /** Commands in flight on the one connection; beyond it a command fails at once (and the failure mode applies). */
    static final int MAX_PENDING_COMMANDS = 16_384;
    static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(1);
    /** Redis Cluster: how often the topology is read again even when nothing suggests a change. */
    static final Duration CLUSTER_REFRESH_PERIOD = Duration.ofSeconds(30);
    /** Redis Cluster: the least time between two refreshes triggered by redirects or reconnects. */
    static final Duration CLUSTER_ADAPTIVE_REFRESH_TIMEOUT = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(RedisRateLimiter.class);

    private final RedisConfig config;
    private final long bucketMicros;
    private final String keySuffix;
    private final String[] bucketArgs;
    /** For {@link RedisFailureMode#LOCAL}; null otherwise. */
    private final SlidingWindowRateLimiter fallback;
    /** Tests only: replaces Redis {@code TIME}; null in production. */
    private final LongSupplier redisClockMicros;

    private final HashedWheelTimer timer;
    private final ClientResources resources;
    /** A {@link RedisClient}, or a {@link RedisClusterClient} with {@link RedisConfig#cluster()}. */
    private final AbstractRedisClient client;
    private final RedisURI uri;
    private final CompletableFuture<Void> firstConnect = new CompletableFuture<>();
    private volatile Link link;
    /** True from a failed call until a call succeeds again. */
    private final AtomicBoolean outage = new AtomicBoolean();
    /** While in an outage: a probe call is in flight. */
    private final AtomicBoolean probing = new AtomicBoolean();
    private volatile boolean closed;
    private int connectAttempts;

    private RedisRateLimiter(Duration window, RedisConfig config, LongSupplier nanoClock, LongSupplier redisClockMicros) {
        this.config = Objects.requireNonNull(config, "config");
        Objects.requireNonNull(window, "window");
        int buckets = SlidingWindowRateLimiter.DEFAULT_BUCKETS_PER_WINDOW;
        long windowMicros = window.toNanos() / 1000;
        if (windowMicros < buckets || window.toNanos() % 1000 != 0) {
            throw new IllegalArgumentException("window must be a whole number of microseconds, at least " + buckets
                    + ": " + window);
        }
        this.bucketMicros = (windowMicros + buckets - 1) / buckets;
        this.keySuffix = "}:sw:" + windowMicros;
        this.bucketArgs = new String[] {Long.toString(bucketMicros), Integer.toString(buckets + 1)};
        this.fallback = config.onFailure() == RedisFailureMode.LOCAL
                ? new SlidingWindowRateLimiter(window, nanoClock) : null;
        this.redisClockMicros = redisClockMicros;

        this.timer = new HashedWheelTimer(new DefaultThreadFactory("gatehouse-redis-timer", true), 5,
                TimeUnit.MILLISECONDS);
        this.resources = DefaultClientResources.builder()
                .ioThreadPoolSize(1)
                .computationThreadPoolSize(1)
                .timer(timer)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        this.uri = redisUri(config);
        ClientOptions options = ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(MAX_PENDING_COMMANDS)
                .timeoutOptions(TimeoutOptions.builder().fixedTimeout(config.timeout()).build())
                .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout(config)).keepAlive(true)
                        .tcpNoDelay(true).build())
                .build();
        if (config.cluster()) {
            RedisClusterClient cluster = RedisClusterClient.create(resources, uri);
            cluster.setOptions(ClusterClientOptions.builder(options)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(CLUSTER_REFRESH_PERIOD)
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(CLUSTER_ADAPTIVE_REFRESH_TIMEOUT)
                            .refreshTriggersReconnectAttempts(3)
                            .build())
                    .build());
            this.client = cluster;
        } else {
            RedisClient single = RedisClient.create(resources);
            single.setOptions(options);
            this.client = single;
        }
        connect();
    }

    /**
     * A limiter on {@code config}'s Redis; waits up to about a second for the first connection, then returns
     * either way (without one, {@link RedisConfig#onFailure()} applies until a background reconnect succeeds).
     * Call off the event loops.
     */
    public static RedisRateLimiter start(Duration window, RedisConfig config, LongSupplier nanoClock) {
        RedisRateLimiter limiter = new RedisRateLimiter(window, config, nanoClock, null);
        limiter.awaitFirstConnect(MAX_CONNECT_TIMEOUT.plusMillis(200));
        return limiter;
    }

    /** Tests only: the script takes "now" from {@code redisClockMicros} instead of Redis {@code TIME}. */
    static RedisRateLimiter startWithClock(Duration window, RedisConfig config, LongSupplier nanoClock,
            LongSupplier redisClockMicros) {
        RedisRateLimiter limiter = new RedisRateLimiter(window, config, nanoClock, redisClockMicros);
        limiter.awaitFirstConnect(MAX_CONNECT_TIMEOUT.plusMillis(200));
        return limiter;
    }

    @Override
    public CompletionStage<RateLimitDecision> acquire(String key, long limit) {
        Objects.requireNonNull(key, "key");
        if (limit < 1 || limit > SlidingWindowRateLimiter.MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be in 1.." + SlidingWindowRateLimiter.MAX_LIMIT + ": "
                    + limit);
        }
        Link c = link;
        if (c == null) {
            return onFailure(key, limit);
        }
        boolean probe = false;
        if (outage.get()) {
            if (!probing.compareAndSet(false, true)) {
                return onFailure(key, limit);
            }
            probe = true;
        }
        String[] keys = {redisKey(key)};
        String[] args = arguments(limit);
        CompletableFuture<RateLimitDecision> result = new CompletableFuture<>();
        boolean releaseProbe = probe;
        RedisFuture<List<Object>> call = c.commands().evalsha(SCRIPT_SHA, ScriptOutputType.MULTI, keys, args);
        call.whenComplete((reply, error) -> {
            if (unwrap(error) instanceof RedisNoScriptException) {
                RedisFuture<List<Object>> retry = c.commands().eval(SCRIPT, ScriptOutputType.MULTI, keys, args);
                retry.whenComplete((r, e) -> complete(result, key, limit, r, e, releaseProbe));
            } else {
                complete(result, key, limit, reply, error, releaseProbe);
            }
        });
        return result;
    }

    @Override
    public int evictIdle() {
        return fallback == null ? 0 : fallback.evictIdle();
    }

    @Override
    public void close() {
        closed = true;
        Link c = link;
        if (c != null) {
            c.connection().closeAsync();
        }
        // A short quiet period lets a connection still being set up (a cluster topology refresh) close cleanly, so
        // that Lettuce releases the buffer it allocated for it; with none, that buffer can outlive its event loop.
        client.shutdown(Duration.ofMillis(100), Duration.ofSeconds(2));
        resources.shutdown(100, 2_000, TimeUnit.MILLISECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        timer.stop();
    }

    /** Whether Redis answers now, as far as this limiter knows: connected and not in an outage. */
    public boolean healthy() {
        return link != null && !outage.get();
    }

    /** The Redis key for a client; the hash tag keeps a client's state on one Cluster slot. */
    String redisKey(String client) {
        return "{gh:" + client + keySuffix;
    }

    private String[] arguments(long limit) {
        String limitArg = Long.toString(limit);
        if (redisClockMicros == null) {
            return new String[] {limitArg, bucketArgs[0], bucketArgs[1]};
        }
        return new String[] {limitArg, bucketArgs[0], bucketArgs[1], Long.toString(redisClockMicros.getAsLong())};
    }

    private void complete(CompletableFuture<RateLimitDecision> result, String key, long limit, List<Object> reply,
            Throwable error, boolean probe) {
        if (probe) {
            probing.set(false);
        }
        RateLimitDecision decision = null;
        Throwable failure = unwrap(error);
        if (failure == null) {
            try {
                decision = decode(reply, limit);
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (decision != null) {
            if (outage.compareAndSet(true, false)) {
                LOG.info("Redis rate-limit store {} answers again; limits are shared again", config.safeUrl());
            }
            result.complete(decision);
            return;
        }
        startOutage(failure.toString());
        onFailure(key, limit).whenComplete((d, e) -> {
            if (e != null) {
                result.completeExceptionally(e);
            } else {
                result.complete(d);
            }
        });
    }

    private void startOutage(String cause) {
        if (outage.compareAndSet(false, true)) {
            LOG.warn("Redis rate-limit store {} is unavailable ({}); until it answers again {}", config.safeUrl(),
                    cause, switch (config.onFailure()) {
                        case LOCAL -> "each instance limits on its own (on_failure: local)";
                        case OPEN -> "every request is admitted (on_failure: open)";
                        case CLOSED -> "rate-limited requests get 503 (on_failure: closed)";
                    });
        }
    }

    private CompletionStage<RateLimitDecision> onFailure(String key, long limit) {
        return switch (config.onFailure()) {
            case LOCAL -> fallback.acquire(key, limit);
            case OPEN -> CompletableFuture.completedStage(RateLimitDecision.allow(limit, limit, 0));
            case CLOSED -> CompletableFuture.failedStage(
                    new RateLimiterUnavailableException("Redis rate-limit store unavailable"));
        };
    }

    private static RateLimitDecision decode(List<Object> reply, long limit) {
        if (reply == null || reply.size() != 4) {
            throw new IllegalStateException("unexpected script reply: " + reply);
        }
        boolean allowed = ((Long) reply.get(0)) == 1;
        long remaining = (Long) reply.get(1);
        long retryAfterMicros = (Long) reply.get(2);
        long resetMicros = (Long) reply.get(3);
        return allowed
                ? RateLimitDecision.allow(limit, remaining, ceilMillis(resetMicros))
                : RateLimitDecision.reject(limit, ceilMillis(retryAfterMicros), ceilMillis(resetMicros));
    }

    private static long ceilMillis(long micros) {
        return micros <= 0 ? 0 : (micros - 1) / 1000 + 1;
    }

    private static Throwable unwrap(Throwable error) {
        while ((error instanceof CompletionException || error instanceof ExecutionException)
                && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }

    /** Connects in the background; on failure retries with a growing delay (up to a second) until it works. */
    private void connect() {
        if (closed) {
            return;
        }
        connectLink().whenComplete((c, error) -> {
            if (error != null) {
                startOutage("cannot connect: " + unwrap(error));
                firstConnect.complete(null);
                long delay = Math.min(1000, 50L << Math.min(connectAttempts++, 5));
                if (!closed) {
                    resources.eventExecutorGroup().schedule(this::connect, delay, TimeUnit.MILLISECONDS);
                }
                return;
            }
            if (closed) {
                c.connection().closeAsync();
                return;
            }
            // Load the script so that the first request needs no EVAL (not counted per request), and only then
            // take the connection into use. On a Cluster the client sends SCRIPT LOAD to every master, which also
            // opens the connection to each of them: the first request to a master does not race its connect.
            // Best effort: a failure here (one master down) is the failure path's business, request by request.
            c.commands().scriptLoad(SCRIPT).whenComplete((sha, loadError) -> {
                if (closed) {
                    c.connection().closeAsync();
                    return;
                }
                link = c;
                firstConnect.complete(null);
            });
        });
    }

    /**
     * The one place where a single Redis and a Cluster differ: how the connection is made. Both connections offer
     * the same scripting commands; the cluster one routes each by its first key.
     */
    private CompletionStage<Link> connectLink() {
        if (client instanceof RedisClusterClient cluster) {
            // The cluster client needs the topology (read from the seed node) before it can connect.
            return cluster.refreshPartitionsAsync()
                    .thenCompose(loaded -> cluster.connectAsync(StringCodec.UTF8))
                    .thenApply(c -> new Link(c, c.async()));
        }
        CompletionStage<StatefulRedisConnection<String, String>> connecting =
                ((RedisClient) client).connectAsync(StringCodec.UTF8, uri);
        return connecting.thenApply(c -> new Link(c, c.async()));
    }

    /** A connection and its scripting commands: to a single Redis, or to a Redis Cluster. */
    private record Link(StatefulConnection<String, String> connection,
                        RedisScriptingAsyncCommands<String, String> commands) {
    }

    private void awaitFirstConnect(Duration max) {
        try {
            firstConnect.get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("Redis rate-limit store {}: no connection yet; connecting in the background",
                    config.safeUrl());
        }
    }

    private static Duration connectTimeout(RedisConfig config) {
        return config.timeout().compareTo(MAX_CONNECT_TIMEOUT) > 0 ? config.timeout() : MAX_CONNECT_TIMEOUT;
    }

    private static RedisURI redisUri(RedisConfig config) {
        RedisURI.Builder builder = RedisURI.builder()
                .withHost(config.host())
                .withPort(config.port())
                .withDatabase(config.database())
                .withSsl(config.tls())
                // The handshake (HELLO, AUTH, SELECT) gets the connect timeout; commands get config.timeout().
                .withTimeout(connectTimeout(config))
                .withClientName("gatehouse");
        if (config.password() != null) {
            if (config.username() != null) {
                builder.withAuthentication(config.username(), config.password().toCharArray());
            } else {
                builder.withPassword(config.password().toCharArray());
            }
        }
        return builder.build();
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
