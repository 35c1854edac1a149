package io.gatehouse.exchange;

import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;

/**
 * What a {@link Filter} decided: {@linkplain #proceed() go on} to the next filter (then the backend), {@linkplain
 * #answer(Answer) answer} the request itself, or {@linkplain #suspend(CompletionStage) suspend} it until a later
 * verdict is known. The common case, going on, is one shared instance, so a filter that lets a request through
 * allocates nothing.
 */
public final class Verdict {

    private static final Verdict PROCEED = new Verdict(null, null, null);

    private final Answer answer;
    private final CompletionStage<Object> later;
    private final BiFunction<Object, Throwable, Verdict> resume;

    private Verdict(Answer answer, CompletionStage<Object> later, BiFunction<Object, Throwable, Verdict> resume) {
        this.answer = answer;
        this.later = later;
        this.resume = resume;
    }

    /** On to the next filter. */
    public static Verdict proceed() {
        return PROCEED;
    }

    /** The gateway answers the request itself; nothing is forwarded and the rest of its body is discarded. */
    public static Verdict answer(Answer answer) {
        return new Verdict(Objects.requireNonNull(answer, "answer"), null, null);
    }

    /**
     * The verdict comes later: when {@code later} completes, {@code resume} is called <em>on the connection's event
     * loop</em> with its value or its failure (one of them null), and the chain goes on with the verdict it returns.
     * Until then the request waits and nothing more of it is read; if the client goes away meanwhile, {@code resume}
     * is not called.
     */
    @SuppressWarnings("unchecked")
    public static <T> Verdict suspend(CompletionStage<T> later, BiFunction<? super T, Throwable, Verdict> resume) {
        return new Verdict(null, (CompletionStage<Object>) Objects.requireNonNull(later, "later"),
                (BiFunction<Object, Throwable, Verdict>) Objects.requireNonNull(resume, "resume"));
    }

    public boolean proceeds() {
        return this == PROCEED;
    }

    /** The answer, or null when this verdict does not answer. */
    public Answer answer() {
        return answer;
    }

    /** What to wait for, or null when this verdict is already final. */
    public CompletionStage<Object> later() {
        return later;
    }

    /** For a suspended verdict: the verdict once {@link #later()} completed with {@code value} or {@code failure}. */
    public Verdict resume(Object value, Throwable failure) {
        return resume.apply(value, failure);
    }

    @Override
    public String toString() {
        return proceeds() ? "Verdict[proceed]" : answer != null ? "Verdict[" + answer + "]" : "Verdict[suspended]";
    }
}
