/**
 * Internal to the engine: the parts of an environment (many streams under one root, sharing threads) that do not need
 * the stream store itself: the root directory with its crash-safe create and delete ({@link
 * io.ferrite.engine.environment.EnvironmentRoot}), the shared threads ({@link
 * io.ferrite.engine.environment.EnvironmentThreads}), the in-memory catalog of open streams and consumers ({@link
 * io.ferrite.engine.environment.OpenStreams}) and its file ({@link io.ferrite.engine.environment.CatalogFile}).
 * <p>
 * Not an API: public types here are public only so that {@code io.ferrite.engine.FileStoreEnvironment} can reach them.
 */
package io.ferrite.engine.environment;
