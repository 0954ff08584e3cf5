"""One extractor per facet read from an article's text; ``corpus.metadata`` is their public face."""
