package org.jepa4j.data;

/** Which part of a source to read: the training images or the held-out ones. */
public enum Split {
    TRAIN, TEST;

    /** Lower-case name as used on the command line and in descriptions. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
