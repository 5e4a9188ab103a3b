package io.ferrite.tools;

import picocli.CommandLine.IVersionProvider;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * {@code --version}: the Maven project version, filtered into {@code ferrite-version.properties} at build time.
 */
final class VersionProvider implements IVersionProvider
{
    private static final String RESOURCE = "/ferrite-version.properties";

    @Override
    public String[] getVersion() throws IOException
    {
        final Properties properties = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream(RESOURCE))
        {
            if (null != in)
            {
                properties.load(in);
            }
        }
        return new String[] { "ferrite " + properties.getProperty("version", "(unknown version)"),
            "JVM: ${java.version} (${java.vendor} ${java.vm.name} ${java.vm.version})" };
    }
}
