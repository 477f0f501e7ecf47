/**
 * The ONNX metadata contract: the {@code metadata_props} keys an exported encoder carries ({@link
 * org.jepa4j.metadata.OnnxMetadata}) and their meaning, shared by the exporter (jepa4j-modelio)
 * that writes them and inference (jepa4j-infer) that reads them. A package of its own so that the
 * runtime contract sits in jepa4j-core while the ONNX writer ({@code org.jepa4j.onnx}) sits in
 * jepa4j-modelio, with no package split across the two.
 */
package org.jepa4j.metadata;
