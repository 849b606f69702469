"""What metasync stores in MongoDB: the documents and the batch writer that upserts them."""
