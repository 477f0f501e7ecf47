/**
 * A small ONNX writer: the protobuf messages of the ONNX format that jepa4j writes ({@link
 * org.jepa4j.onnx.OnnxProto}), a graph builder, and the file writer (with external data for large
 * models).
 */
package org.jepa4j.onnx;
