/**
 * The native executable of jepa4j's inference commands ({@code embed}, {@code serve}), built with
 * GraalVM Native Image by the {@code native} Maven profile; see {@code docs/native.md}.
 */
package org.jepa4j.nativeimage;
