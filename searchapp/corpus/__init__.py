"""The corpus: articles in every supported file format and what their text says.

``articles`` reads files into :class:`~searchapp.corpus.articles.Article`;
``headlines`` tells a title from a caption; ``metadata`` extracts the date,
outlet, partners and topics from the text, with the rules kept as data in
``searchapp/data/*.toml``.
"""
