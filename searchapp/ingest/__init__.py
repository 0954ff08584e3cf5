"""Adding articles from the web: downloads, page extraction and feeds."""
