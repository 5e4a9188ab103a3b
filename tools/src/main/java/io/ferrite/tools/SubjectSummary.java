package io.ferrite.tools;

import io.ferrite.index.StreamIndex;
import io.ferrite.state.StateSnapshot;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One subject as {@code state.db} records it.
 */
record SubjectSummary(String subject, long msgs, long firstSeq, long lastSeq)
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
            subjects.add(new SubjectSummary(subject, entry.msgs(), entry.firstSeq(), entry.lastSeq())));
        subjects.sort(BUSIEST_FIRST);
        return subjects;
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("subject", subject);
        json.put("msgs", msgs);
        json.put("firstSeq", firstSeq);
        json.put("lastSeq", lastSeq);
        return json;
    }
}
