/**
 * The inference commands, {@code embed} and {@code serve}, with their option mixins and helpers:
 * one definition shared by the JVM command line ({@code jepa4j-cli}) and the native executable
 * ({@code jepa4j-native}). Nothing here depends on TensorFlow or Spark; commands read ONNX only.
 */
package org.jepa4j.commands;
