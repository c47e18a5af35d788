"""Ingestion: parse documents, split them along their structure, embed and index them.

Importing the package switches every Hugging Face / telemetry client to offline mode first,
because nothing in this product may reach a model hub or phone home at run time, and bounds the
native memory torch may keep (``ingest.memory``) before torch loads.
"""

from ingest.memory import bound_native_memory
from ingest.offline import enforce_offline

enforce_offline()
bound_native_memory()
