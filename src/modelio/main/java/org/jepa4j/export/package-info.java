/**
 * Export of a checkpoint's frozen target encoder to ONNX through the writer in {@code
 * org.jepa4j.onnx}, with the metadata contract of {@code org.jepa4j.metadata}.
 */
package org.jepa4j.export;
