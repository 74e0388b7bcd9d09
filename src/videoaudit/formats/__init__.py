"""On-disk formats shared by ingest, export and the sample generator."""
