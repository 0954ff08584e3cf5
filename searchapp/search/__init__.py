"""Searching: the query language and its interpretation, ranking, highlights,
spelling, completion, and :class:`~searchapp.search.searcher.Searcher`, the
public API the web layer and the command line use."""
