"""Static data of the enrichment engine: merchant knowledge base and gazetteer (plain Python, no I/O)."""
