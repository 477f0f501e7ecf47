package org.jepa4j.metrics;

/** {@link KnnContract} with the plain-Java {@link ExactInnerProductSearch}. */
class KnnTest extends KnnContract {
    @Override
    protected NeighbourSearch.Factory search() {
        return ExactInnerProductSearch.FACTORY;
    }
}
