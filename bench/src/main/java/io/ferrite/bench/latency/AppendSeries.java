package io.ferrite.bench.latency;

import io.ferrite.bench.AgronaFloorAppender;
import io.ferrite.bench.AppendTargetFactory;
import io.ferrite.bench.ChronicleBytesAppender;
import io.ferrite.bench.ChronicleQueueAppender;
import io.ferrite.bench.FerriteAppender;

/**
 * The stores the {@link LatencyHarness} can record, each a series on the percentile plot. A new store is
 * one {@link io.ferrite.bench.AppendTarget} class plus one constant here.
 */
public enum AppendSeries
{
    /** Copy + CRC32C into a preallocated mapped file: the floor. */
    AGRONA_FLOOR("agrona-floor", AgronaFloorAppender::new),

    /** Ferrite's append: the subject of the comparison. */
    FERRITE("ferrite", FerriteAppender::new),

    /** Chronicle Queue excerpt append: the peer. */
    CHRONICLE_QUEUE("chronicle-queue", ChronicleQueueAppender::new),

    /** Chronicle Bytes raw mapped append: the layer under the peer. */
    CHRONICLE_BYTES("chronicle-bytes", ChronicleBytesAppender::new);

    private final String seriesName;
    private final AppendTargetFactory factory;

    AppendSeries(final String seriesName, final AppendTargetFactory factory)
    {
        this.seriesName = seriesName;
        this.factory = factory;
    }

    /**
     * @return the name used on the command line, in file names and in the plot legend.
     */
    public String seriesName()
    {
        return seriesName;
    }

    /**
     * @return opens a target of this series.
     */
    public AppendTargetFactory factory()
    {
        return factory;
    }

    /**
     * @param seriesName as printed by {@link #seriesName()}.
     * @return the series with that name.
     * @throws IllegalArgumentException naming the known series if there is none.
     */
    public static AppendSeries bySeriesName(final String seriesName)
    {
        for (final AppendSeries series : values())
        {
            if (series.seriesName.equals(seriesName))
            {
                return series;
            }
        }

        throw new IllegalArgumentException("unknown series '" + seriesName + "', expected one of " + names());
    }

    /**
     * @return every series name, comma separated, for usage messages.
     */
    public static String names()
    {
        final StringBuilder names = new StringBuilder();
        for (final AppendSeries series : values())
        {
            names.append(names.length() == 0 ? "" : ",").append(series.seriesName);
        }

        return names.toString();
    }
}
