package io.gatehouse.ratelimit.redis;

import io.gatehouse.config.RateLimitPolicyConfig;
import io.gatehouse.config.RedisConfig;
import io.gatehouse.config.RedisFailureMode;
import io.gatehouse.ratelimit.LocalRateLimiter;
import io.gatehouse.ratelimit.RateLimitDecision;
import io.gatehouse.ratelimit.RateLimitResult;
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
import java.util.ArrayList;
import java.util.Collection;
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
     * KEYS the client's hash per policy (one hash tag, so one Cluster slot); ARGV[1] "now" in µs (tests only) or
     * empty for Redis {@code TIME}, then per policy its limit, bucket length (µs) and ring length. Decides every
     * policy first, and only if each admits counts the request in each (all or nothing, atomically). Returns
     * {admitted 0/1, then per policy: admits 0/1, remaining, retry-after µs, reset µs}; each policy's decision
     * mirrors SlidingWindowRateLimiter.peek, and one that admits a request refused by another reports its state
     * uncounted (SlidingWindowRateLimiter.uncounted).
     */
    static final String SCRIPT = """
            if redis.replicate_commands then redis.replicate_commands() end
            local clock
            if ARGV[1] ~= '' then
              clock = tonumber(ARGV[1])
            else
              local t = redis.call('TIME')
              clock = tonumber(t[1]) * 1000000 + tonumber(t[2])
            end
            local n = #KEYS
            local out = {1}
            local plan = {}
            local all = true
            for i = 1, n do
              local key = KEYS[i]
              local limit = tonumber(ARGV[i * 3 - 1])
              local len = tonumber(ARGV[i * 3])
              local ring = tonumber(ARGV[i * 3 + 1])
              local now = clock
              local bucket = math.floor(now / len)
              local flat = redis.call('HGETALL', key)
              local counts = {}
              local head = nil
              for j = 1, #flat, 2 do
                local b = tonumber(flat[j])
                counts[b] = tonumber(flat[j + 1])
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
              local newest = bucket
              if total > 0 then
                while (counts[newest] or 0) == 0 do newest = newest - 1 end
              end
              local p = {key = key, bucket = bucket, stale = stale, limit = limit, total = total,
                         reset = (bucket + ring) * len - now, newest = (newest + ring) * len - now}
              plan[i] = p
              if total < limit then
                p.ok = true
                out[#out + 1] = 1
                out[#out + 1] = limit - total - 1
                out[#out + 1] = 0
                out[#out + 1] = p.reset
              else
                all = false
                local excess = total - limit + 1
                local freed = 0
                local freeing = oldest
                while true do
                  freed = freed + (counts[freeing] or 0)
                  if freed >= excess then break end
                  freeing = freeing + 1
                end
                out[#out + 1] = 0
                out[#out + 1] = 0
                out[#out + 1] = (freeing + ring) * len - now
                out[#out + 1] = p.newest
              end
            end
            if all then
              for i = 1, n do
                local p = plan[i]
                if #p.stale > 0 then redis.call('HDEL', p.key, unpack(p.stale)) end
                redis.call('HINCRBY', p.key, string.format('%d', p.bucket), 1)
                redis.call('PEXPIRE', p.key, math.ceil(p.reset / 1000))
              end
              return out
            end
            out[1] = 0
            for i = 1, n do
              local p = plan[i]
              if p.ok then
                local base = (i - 1) * 4 + 2
                out[base + 1] = p.limit - p.total
                if p.total > 0 then out[base + 3] = p.newest else out[base + 3] = 0 end
              end
            end
            return out
            """;

    static final String SCRIPT_SHA = sha1(SCRIPT);
    private static final int BUCKETS = SlidingWindowRateLimiter.DEFAULT_BUCKETS_PER_WINDOW;
    private static final String RING = Integer.toString(BUCKETS + 1);

    /** Commands in flight on the one connection; beyond it a command fails at once (and the failure mode applies). */
    static final int MAX_PENDING_COMMANDS = 16_384;
    static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(1);
    /** Redis Cluster: how often the topology is read again even when nothing suggests a change. */
    static final Duration CLUSTER_REFRESH_PERIOD = Duration.ofSeconds(30);
    /** Redis Cluster: the least time between two refreshes triggered by redirects or reconnects. */
    static final Duration CLUSTER_ADAPTIVE_REFRESH_TIMEOUT = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(RedisRateLimiter.class);

    private final RedisConfig config;
    /** The {@code default} policy's window, for {@link #acquire(String, long)} and {@link #redisKey(String)}. */
    private final Duration window;
    /** For {@link RedisFailureMode#LOCAL}; null otherwise. */
    private final LocalRateLimiter fallback;
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
        windowMicros(window);
        this.window = window;
        this.fallback = config.onFailure() == RedisFailureMode.LOCAL ? new LocalRateLimiter(nanoClock) : null;
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

    /** One request against the {@code default} policy with {@code limit} (the window given at start). */
    public CompletionStage<RateLimitDecision> acquire(String key, long limit) {
        if (limit < 1 || limit > SlidingWindowRateLimiter.MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be in 1.." + SlidingWindowRateLimiter.MAX_LIMIT + ": "
                    + limit);
        }
        return acquire(key, List.of(RateLimitPolicyConfig.defaultPolicy(limit, window)))
                .thenApply(result -> result.applied().get(0).decision());
    }

    @Override
    public CompletionStage<RateLimitResult> acquire(String key, List<RateLimitPolicyConfig> policies) {
        Objects.requireNonNull(key, "key");
        if (policies.isEmpty()) {
            throw new IllegalArgumentException("no policies");
        }
        Link c = link;
        if (c == null) {
            return onFailure(key, policies);
        }
        boolean probe = false;
        if (outage.get()) {
            if (!probing.compareAndSet(false, true)) {
                return onFailure(key, policies);
            }
            probe = true;
        }
        String[] keys = new String[policies.size()];
        String[] args = new String[1 + 3 * policies.size()];
        args[0] = redisClockMicros == null ? "" : Long.toString(redisClockMicros.getAsLong());
        for (int i = 0; i < keys.length; i++) {
            RateLimitPolicyConfig policy = policies.get(i);
            long windowMicros = windowMicros(policy.window());
            keys[i] = redisKey(key, policy);
            args[1 + 3 * i] = Long.toString(policy.limit());
            args[2 + 3 * i] = Long.toString((windowMicros + BUCKETS - 1) / BUCKETS);
            args[3 + 3 * i] = RING;
        }
        CompletableFuture<RateLimitResult> result = new CompletableFuture<>();
        boolean releaseProbe = probe;
        RedisFuture<List<Object>> call = c.commands().evalsha(SCRIPT_SHA, ScriptOutputType.MULTI, keys, args);
        call.whenComplete((reply, error) -> {
            if (unwrap(error) instanceof RedisNoScriptException) {
                RedisFuture<List<Object>> retry = c.commands().eval(SCRIPT, ScriptOutputType.MULTI, keys, args);
                retry.whenComplete((r, e) -> complete(result, key, policies, r, e, releaseProbe));
            } else {
                complete(result, key, policies, reply, error, releaseProbe);
            }
        });
        return result;
    }

    @Override
    public void retain(Collection<RateLimitPolicyConfig> policies) {
        if (fallback != null) {
            fallback.retain(policies);
        }
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

    /** The Redis key of a client's {@code default} policy, with the window given at start. */
    String redisKey(String client) {
        return redisKey(client, RateLimitPolicyConfig.defaultPolicy(1, window));
    }

    /**
     * The Redis key for a client's counters in one policy; the hash tag keeps all of a client's policies on one
     * Cluster slot, so one script can decide them together. The {@code default} policy keeps the key it had before
     * policies existed ({@code {gh:<client>}:sw:<window µs>}), so instances of both versions share its counters;
     * a named policy's key holds its name and limit too, so a changed policy starts afresh.
     */
    static String redisKey(String client, RateLimitPolicyConfig policy) {
        String base = "{gh:" + client + "}:sw:" + windowMicros(policy.window());
        return policy.name().equals(RateLimitPolicyConfig.DEFAULT) ? base
                : base + ":" + policy.name() + ":" + policy.limit();
    }

    private static long windowMicros(Duration window) {
        long micros = window.toNanos() / 1000;
        if (micros < BUCKETS || window.toNanos() % 1000 != 0) {
            throw new IllegalArgumentException("window must be a whole number of microseconds, at least " + BUCKETS
                    + ": " + window);
        }
        return micros;
    }

    private void complete(CompletableFuture<RateLimitResult> result, String key, List<RateLimitPolicyConfig> policies,
            List<Object> reply, Throwable error, boolean probe) {
        if (probe) {
            probing.set(false);
        }
        RateLimitResult decision = null;
        Throwable failure = unwrap(error);
        if (failure == null) {
            try {
                decision = decode(reply, policies);
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
        onFailure(key, policies).whenComplete((d, e) -> {
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

    private CompletionStage<RateLimitResult> onFailure(String key, List<RateLimitPolicyConfig> policies) {
        return switch (config.onFailure()) {
            case LOCAL -> fallback.acquire(key, policies);
            case OPEN -> CompletableFuture.completedStage(RateLimitResult.of(policies.stream()
                    .map(p -> new RateLimitResult.Applied(p, RateLimitDecision.allow(p.limit(), p.limit(), 0)))
                    .toList()));
            case CLOSED -> CompletableFuture.failedStage(
                    new RateLimiterUnavailableException("Redis rate-limit store unavailable"));
        };
    }

    private static RateLimitResult decode(List<Object> reply, List<RateLimitPolicyConfig> policies) {
        if (reply == null || reply.size() != 1 + 4 * policies.size()) {
            throw new IllegalStateException("unexpected script reply: " + reply);
        }
        boolean admitted = ((Long) reply.get(0)) == 1;
        List<RateLimitResult.Applied> applied = new ArrayList<>(policies.size());
        for (int i = 0; i < policies.size(); i++) {
            RateLimitPolicyConfig policy = policies.get(i);
            int at = 1 + 4 * i;
            boolean admits = ((Long) reply.get(at)) == 1;
            long remaining = (Long) reply.get(at + 1);
            long retryAfterMicros = (Long) reply.get(at + 2);
            long resetMicros = (Long) reply.get(at + 3);
            applied.add(new RateLimitResult.Applied(policy, admits
                    ? RateLimitDecision.allow(policy.limit(), remaining, ceilMillis(resetMicros))
                    : RateLimitDecision.reject(policy.limit(), ceilMillis(retryAfterMicros), ceilMillis(resetMicros))));
        }
        return new RateLimitResult(admitted, applied);
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
