/**
 * Model specs (ViT encoder and predictor shapes, the named sizes), parameter names in the
 * reference's layout, and initialisation.
 */
package org.jepa4j.model;
