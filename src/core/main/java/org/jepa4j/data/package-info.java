/**
 * Images and image datasets (folders, IDX files such as Fashion-MNIST, synthetic), their sources
 * ({@link org.jepa4j.data.ImageSources}, {@link org.jepa4j.data.DatasetResolver}), bounded
 * decoding, and the one evaluation preprocessing ({@link org.jepa4j.data.Preprocessing}, {@link
 * org.jepa4j.data.EvalTransform}) that training, export and serving share. A run's data section
 * reaches this package through {@link org.jepa4j.data.DataSettings}, so it never depends on the
 * config package. The training data pipeline (batches, random crops) is {@code
 * org.jepa4j.pipeline} in jepa4j-recipe.
 */
package org.jepa4j.data;
