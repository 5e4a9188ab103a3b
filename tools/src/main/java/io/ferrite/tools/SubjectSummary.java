package io.ferrite.tools;

import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.state.StateSnapshot;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One subject as {@code state.db} records it.
 *
 * @param firstExact false when a removal took the subject's first message and the engine has not searched for the
 *                   next one since: {@code firstSeq} is then a lower bound.
 * @param lastExact  false when {@code lastSeq} is an upper bound, likewise.
 */
record SubjectSummary(String subject, long msgs, long firstSeq, long lastSeq, boolean firstExact, boolean lastExact)
{
    /** Busiest first, then by name, so the summary shows what dominates the stream. */
    static final Comparator<SubjectSummary> BUSIEST_FIRST =
        Comparator.comparingLong(SubjectSummary::msgs).reversed().thenComparing(SubjectSummary::subject);

    /**
     * @return the snapshot's subjects, busiest first. {@link StateSnapshot} exposes subject values only through
     * {@link StateSnapshot#restoreInto}, so they are restored into a scratch index (heap and a few KiB off-heap; no
     * file is touched).
     */
    static List<SubjectSummary> of(final StateSnapshot snapshot)
    {
        final StreamIndex scratch = new StreamIndex();
        snapshot.restoreInto(scratch);
        final List<SubjectSummary> subjects = new ArrayList<>(snapshot.subjectCount());
        scratch.subjects().forEach((subject, entry) ->
            subjects.add(new SubjectSummary(subject, entry.msgs(), entry.firstSeq(), entry.lastSeq(),
                entry.firstExact(),
                entry.lastExact())));
        subjects.sort(BUSIEST_FIRST);
        return subjects;
    }

    /** The first sequence as a table cell: {@code >=N} when it is a lower bound. */
    String first()
    {
        return firstExact ? Long.toString(firstSeq) : ">=" + firstSeq;
    }

    /** The last sequence as a table cell: {@code <=N} when it is an upper bound. */
    String last()
    {
        return lastExact ? Long.toString(lastSeq) : "<=" + lastSeq;
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("subject", subject);
        json.put("msgs", msgs);
        json.put("firstSeq", firstSeq);
        json.put("lastSeq", lastSeq);
        json.put("firstExact", firstExact);
        json.put("lastExact", lastExact);
        return json;
    }
}
