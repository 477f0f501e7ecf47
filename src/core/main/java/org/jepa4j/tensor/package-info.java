/**
 * Dense float32 tensors, ordered named tensor maps, and NumPy {@code .npy} files.
 */
package org.jepa4j.tensor;
