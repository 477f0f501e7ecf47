/**
 * Import of official weights: the reference's PyTorch checkpoints (torch zip archive and pickle)
 * and Hugging Face I-JEPA safetensors, into a jepa4j run folder.
 */
package org.jepa4j.importer;
