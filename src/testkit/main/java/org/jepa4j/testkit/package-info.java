/**
 * Shared test set-up for jepa4j's modules (a test-scoped dependency, never a production one): tiny
 * encoder architectures, seeded checkpoints exported to ONNX, random images, PNG bytes and image
 * folders, and the tiny training run ({@link org.jepa4j.testkit.TinyRun}). Free loopback ports for
 * cluster workers are jepa4j-core's {@link org.jepa4j.net.LoopbackPorts}, which the benchmarks use
 * too. The official fixture and its import come with the core and modelio test jars this module
 * carries. Everything is generated and seeded: no network, no fixture outside the repository.
 */
package org.jepa4j.testkit;
