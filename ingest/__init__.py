"""Ingestion: parse documents, split them along their structure, embed and index them.

Importing the package switches every Hugging Face / telemetry client to offline mode first,
because nothing in this product may reach a model hub or phone home at run time.
"""

from ingest.offline import enforce_offline

enforce_offline()
