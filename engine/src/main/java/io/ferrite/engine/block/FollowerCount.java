package io.ferrite.engine.block;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many tailers in this process follow a stream. The block preparer asks it before each range: a prepared block's
 * read-only mapping is touched ahead only while a tailer follows, because touching it costs the preparer about as much
 * CPU again as the writable mapping's pages (a page-table entry per page, ≈ 1.4 µs each on the benchmark VM) and only
 * a reader that follows the appender page by page is spared a fault by it. Readers in another process map the files
 * themselves; random reads fault a few pages and amortise it.
 * <p>
 * Threading: any thread.
 */
public final class FollowerCount
{
    private final AtomicInteger count = new AtomicInteger();

    /**
     * A tailer was created.
     */
    public void opened()
    {
        count.incrementAndGet();
    }

    /**
     * A tailer counted by {@link #opened()} was closed; once per tailer.
     */
    public void closed()
    {
        count.decrementAndGet();
    }

    /**
     * @return whether a tailer follows the stream now.
     */
    public boolean any()
    {
        return count.get() > 0;
    }
}
