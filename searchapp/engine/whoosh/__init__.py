"""Everything that relies on Whoosh beyond its public API: segment writing and mapped files."""
