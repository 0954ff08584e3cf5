"""The index on disk: schema, generations, the reindex pipeline, caches, same-story groups."""
