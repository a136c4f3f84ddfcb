"""Identity resolution: matching rules, the matching decision, ingestion of source records."""
