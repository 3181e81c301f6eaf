"""Local folders as a source: scan the roots, keep an index, recognise what changed."""
