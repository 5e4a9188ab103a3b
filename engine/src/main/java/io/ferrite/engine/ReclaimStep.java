package io.ferrite.engine;

/**
 * The steps of the two reclaim protocols, told to the test seam ({@code FileStreamStore.reclaimSteps}) as each
 * completes, with the store's files as a crash at that point would leave them. See {@link EmptiedBlockDeletion} and
 * {@link SparseBlockRewrite} for what each step means to recovery.
 */
public enum ReclaimStep
{
    /** Deletion: waiting for a force of the tombstones that emptied the blocks (or of rehomed ones). */
    DELETE_AWAITING_REMOVALS("delete:awaiting-removals"),
    /** Deletion: the tombstones the blocks held for older blocks are written again at the end and forced. */
    DELETE_TOMBSTONES_REWRITTEN("delete:tombstones-rewritten"),
    /** Deletion: {@code state.db} is set aside ({@code state.db.replaced}); the blocks are not deleted yet. */
    DELETE_STATE_DELETED("delete:state-deleted"),
    /** Deletion: the block files are deleted, and their directory synced; no {@code state.db} yet. */
    DELETE_FILES_DELETED("delete:files-deleted"),
    /** Deletion: a durable {@code state.db} describes the blocks left. */
    DELETE_STATE_WRITTEN("delete:state-written"),
    /** Rewrite: waiting for a force of the tombstones that removed the leaving records (or of rehomed ones). */
    REWRITE_AWAITING_REMOVALS("rewrite:awaiting-removals"),
    /** Rewrite: the compact copy is written and forced beside the block. */
    REWRITE_WRITTEN("rewrite:written"),
    /** Rewrite: {@code state.db} is set aside ({@code state.db.replaced}); the block is not replaced yet. */
    REWRITE_STATE_DELETED("rewrite:state-deleted"),
    /** Rewrite: the copy replaced the block, and their directory is synced; no {@code state.db} yet. */
    REWRITE_RENAMED("rewrite:renamed"),
    /** Rewrite: a durable {@code state.db} describes the blocks as rewritten. */
    REWRITE_STATE_WRITTEN("rewrite:state-written");

    private final String label;

    ReclaimStep(final String label)
    {
        this.label = label;
    }

    /**
     * @return the step as the log and the test reports name it, e.g. {@code delete:state-written}.
     */
    public String label()
    {
        return label;
    }

    @Override
    public String toString()
    {
        return label;
    }
}
