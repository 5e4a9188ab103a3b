/**
 * The on-disk contract: every layout Ferrite writes, drawn once in the class that owns it, and the code that reads
 * one without the engine around it — the record scanner and the checksums. The engine writes and reads through these
 * classes, and so do the tools ({@code ferrite verify}, {@code dump}, {@code inspect}), so a format change cannot
 * diverge between them.
 * <p>
 * Nothing here throws the API's exceptions or depends on the engine: a check reports what is wrong, and its caller
 * decides whether that is an error. Layouts owned by {@code ferrite-crypto} (key file, block footer) stay with it.
 */
package io.ferrite.format;
