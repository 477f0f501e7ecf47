/**
 * File writes that never leave a half-written target ({@link org.jepa4j.io.AtomicFiles}: one
 * durability policy for every artifact jepa4j writes) and the run folder's lock.
 */
package org.jepa4j.io;
