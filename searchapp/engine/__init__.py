"""Query evaluation over whole posting lists, and the one door to Whoosh's internals."""
