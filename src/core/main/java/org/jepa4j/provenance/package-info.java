/**
 * The one provenance record every artifact carries (config, seed, data, code version, platform,
 * engines) with its one JSON spelling, and the code version.
 */
package org.jepa4j.provenance;
