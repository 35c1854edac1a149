package io.gatehouse.ratelimit;

import io.gatehouse.config.RateLimitPolicyConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The in-process {@link RateLimiter}: one {@link SlidingWindowRateLimiter} per policy (name, limit and window), so
 * each keeps that limiter's guarantee and accuracy, and a client costs O(1) memory per policy whatever the limit.
 *
 * <p><b>All or nothing.</b> A request's entries in every one of its policies are locked, in one global order (the
 * order in which the policies' stores were created), then each policy decides; only if every one admits is the
 * request counted, in each. Locking in one order means two requests that stack the same policies in a different
 * order cannot deadlock; holding every lock while deciding means no concurrent request can slip in between the
 * check of one policy and the count in another, so the tightest policy is never exceeded. The locks are the
 * per-key entries' own: requests of different clients never wait for each other.
 *
 * <p><b>Reloads.</b> {@link #retain} drops the stores of policies the new config no longer has (a changed limit
 * or window is a different policy); every other store, with every client's counters, carries on. The default
 * policy's counters belong to its window alone (see {@link #storeKey}).
 */
public final class LocalRateLimiter implements RateLimiter {

    private final LongSupplier nanoClock;
    private final int bucketsPerWindow;
    private final int maxKeys;
    private final AtomicLong nextOrder = new AtomicLong();
    private final ConcurrentHashMap<RateLimitPolicyConfig, Store> stores = new ConcurrentHashMap<>();
    /** The stores of each list of policies, in the list's order and in lock order; cleared by {@link #retain}. */
    private final ConcurrentHashMap<List<RateLimitPolicyConfig>, Plan> plans = new ConcurrentHashMap<>();
    /**
     * The same plans by list identity, copied on write: the request path passes the same few lists (compiled once
     * per config) on every request, and an identity lookup spares hashing and comparing them. Bounded, since a
     * caller may also pass a new list each time.
     */
    private volatile Map<List<RateLimitPolicyConfig>, Plan> byIdentity = new IdentityHashMap<>();
    private static final int MAX_IDENTITIES = 4096;
    /** The policies of the running config; null until {@link #retain} is first called (then nothing is dropped). */
    private volatile Set<RateLimitPolicyConfig> live;

    /** {@link SlidingWindowRateLimiter#DEFAULT_BUCKETS_PER_WINDOW} buckets and at most a million keys per policy. */
    public LocalRateLimiter(LongSupplier nanoClock) {
        this(nanoClock, SlidingWindowRateLimiter.DEFAULT_BUCKETS_PER_WINDOW, SlidingWindowRateLimiter.DEFAULT_MAX_KEYS);
    }

    public LocalRateLimiter(LongSupplier nanoClock, int bucketsPerWindow, int maxKeys) {
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.bucketsPerWindow = bucketsPerWindow;
        this.maxKeys = maxKeys;
    }

    @Override
    public RateLimitResult decideNow(String key, List<RateLimitPolicyConfig> policies) {
        Objects.requireNonNull(key, "key");
        Plan plan = byIdentity.get(policies);
        if (plan == null) {
            plan = planFor(policies);
        }
        if (plan.stores.length == 1) {
            Store store = plan.stores[0];
            return RateLimitResult.of(store.policy, store.window.tryAcquire(key, store.policy.limit()));
        }
        while (true) {
            RateLimitResult result = decide(key, plan);
            if (result != null) {
                return result;
            }
        }
    }

    private Plan planFor(List<RateLimitPolicyConfig> policies) {
        Plan plan = plans.get(policies);
        if (plan == null) {
            plan = plans.computeIfAbsent(List.copyOf(policies), this::plan);
        }
        synchronized (plans) {
            Map<List<RateLimitPolicyConfig>, Plan> current = byIdentity;
            if (current.size() < MAX_IDENTITIES) {
                Map<List<RateLimitPolicyConfig>, Plan> next = new IdentityHashMap<>(current);
                next.put(policies, plan);
                byIdentity = next;
            }
        }
        return plan;
    }

    @Override
    public CompletionStage<RateLimitResult> acquire(String key, List<RateLimitPolicyConfig> policies) {
        return CompletableFuture.completedStage(decideNow(key, policies));
    }

    @Override
    public void retain(Collection<RateLimitPolicyConfig> policies) {
        Set<RateLimitPolicyConfig> keep = new java.util.HashSet<>();
        for (RateLimitPolicyConfig policy : policies) {
            keep.add(storeKey(policy));
        }
        live = keep;
        stores.keySet().retainAll(keep);
        clearPlans();
    }

    private void clearPlans() {
        synchronized (plans) {
            plans.clear();
            byIdentity = new IdentityHashMap<>();
        }
    }

    /**
     * Sweeps each policy's idle clients about once per its window (at most once a call), and drops stores that
     * requests of an older config created after the last {@link #retain}.
     */
    @Override
    public int evictIdle() {
        Set<RateLimitPolicyConfig> keep = live;
        if (keep != null && stores.keySet().retainAll(keep)) {
            clearPlans();
        }
        long now = nanoClock.getAsLong();
        int evicted = 0;
        for (Store store : stores.values()) {
            if (now - store.lastSweep >= store.window.windowNanos()) {
                store.lastSweep = now;
                evicted += store.window.evictIdle();
            }
        }
        return evicted;
    }

    /** The number of clients tracked for {@code policy}, 0 when it has no store. */
    public int size(RateLimitPolicyConfig policy) {
        Store store = stores.get(storeKey(policy));
        return store == null ? 0 : store.window.size();
    }

    /** The length of {@code key}'s counter array in {@code policy}, -1 when not tracked: O(1) whatever the limit. */
    int stateLength(RateLimitPolicyConfig policy, String key) {
        Store store = stores.get(storeKey(policy));
        return store == null ? -1 : store.window.stateLength(key);
    }

    /** Null when an entry was evicted while it was being locked: try again. */
    private RateLimitResult decide(String key, Plan plan) {
        int n = plan.stores.length;
        SlidingWindowRateLimiter.Entry[] entries = new SlidingWindowRateLimiter.Entry[n];
        long[] elapsed = new long[n];
        for (int i = 0; i < n; i++) {
            SlidingWindowRateLimiter window = plan.stores[i].window;
            elapsed[i] = window.elapsedNanos();
            entries[i] = window.entry(key, elapsed[i]);
        }
        return lockThenDecide(plan, entries, elapsed, 0);
    }

    /** Locks the entries one by one in lock order (recursively: one monitor per level), then decides. */
    private RateLimitResult lockThenDecide(Plan plan, SlidingWindowRateLimiter.Entry[] entries, long[] elapsed,
            int depth) {
        if (depth == entries.length) {
            return decideLocked(plan, entries, elapsed);
        }
        SlidingWindowRateLimiter.Entry entry = entries[plan.lockOrder[depth]];
        if (entry == null) {
            return lockThenDecide(plan, entries, elapsed, depth + 1);
        }
        synchronized (entry) {
            if (entry.removed) {
                return null;
            }
            return lockThenDecide(plan, entries, elapsed, depth + 1);
        }
    }

    /** Holds the lock of every non-null entry. */
    private static RateLimitResult decideLocked(Plan plan, SlidingWindowRateLimiter.Entry[] entries, long[] elapsed) {
        int n = entries.length;
        RateLimitDecision[] decisions = new RateLimitDecision[n];
        boolean all = true;
        for (int i = 0; i < n; i++) {
            Store store = plan.stores[i];
            int limit = (int) store.policy.limit();
            decisions[i] = entries[i] == null
                    ? store.window.rejectUntracked(limit, elapsed[i])
                    : store.window.peek(entries[i], limit, elapsed[i]);
            all &= decisions[i].allowed();
        }
        List<RateLimitResult.Applied> applied = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Store store = plan.stores[i];
            RateLimitDecision decision = decisions[i];
            if (all) {
                store.window.count(entries[i]);
            } else if (decision.allowed()) {
                decision = store.window.uncounted(entries[i], (int) store.policy.limit(), elapsed[i]);
            }
            applied.add(new RateLimitResult.Applied(store.policy, decision));
        }
        return new RateLimitResult(all, applied);
    }

    private Plan plan(List<RateLimitPolicyConfig> policies) {
        if (policies.isEmpty()) {
            throw new IllegalArgumentException("no policies");
        }
        Store[] list = new Store[policies.size()];
        for (int i = 0; i < list.length; i++) {
            RateLimitPolicyConfig policy = policies.get(i);
            for (int j = 0; j < i; j++) {
                if (list[j].policy.name().equals(policy.name())) {
                    throw new IllegalArgumentException("policy " + policy.name() + " given twice");
                }
            }
            Store shared = stores.computeIfAbsent(storeKey(policy), p -> new Store(p, new SlidingWindowRateLimiter(
                    p.window(), nanoClock, bucketsPerWindow, maxKeys), nextOrder.getAndIncrement(),
                    nanoClock.getAsLong()));
            list[i] = shared.policy.equals(policy) ? shared : new Store(policy, shared);
        }
        Integer[] order = new Integer[list.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingLong(i -> list[i].order));
        return new Plan(list, Arrays.stream(order).mapToInt(Integer::intValue).toArray());
    }

    /**
     * Where a policy's counters live. A named policy's are its own: its name, limit and window. The
     * {@value RateLimitPolicyConfig#DEFAULT} policy's limit is each key's {@code rate_limit}, so its counters belong
     * to the window alone, shared by every key's limit, and a changed {@code rate_limit} applies to what was counted
     * (as before policies existed, and as the Redis keys do).
     */
    static RateLimitPolicyConfig storeKey(RateLimitPolicyConfig policy) {
        return policy.name().equals(RateLimitPolicyConfig.DEFAULT) && policy.limit() != 1
                ? RateLimitPolicyConfig.defaultPolicy(1, policy.window()) : policy;
    }

    private static final class Store {
        /** The policy decided with; for the default policy, one key's limit on the shared store. */
        final RateLimitPolicyConfig policy;
        final SlidingWindowRateLimiter window;
        final long order;
        /** Written by the housekeeping thread only. */
        long lastSweep;

        Store(RateLimitPolicyConfig policy, SlidingWindowRateLimiter window, long order, long created) {
            this.policy = policy;
            this.window = window;
            this.order = order;
            this.lastSweep = created;
        }

        /** The shared store with another limit of the default policy. */
        Store(RateLimitPolicyConfig policy, Store shared) {
            this(policy, shared.window, shared.order, 0);
        }
    }

    private record Plan(Store[] stores, int[] lockOrder) {
    }

    @Override
    public String toString() {
        return "LocalRateLimiter" + stores.keySet();
    }
}
