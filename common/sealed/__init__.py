"""Sealed storage: contents kept encrypted at rest, in chunks, by any service that keeps files.

Documents' contents now, the requests' attachments next: a data key per object (one version of it), wrapped by a
master key from configuration; AES-256-GCM chunks of CHUNK_SIZE, each bound to its object, version
and position; the master key rotated by re-wrapping data keys, contents untouched. The owning
service keeps the tables in its own schema (`tables.SealedTables` names them) and says which
contents it accepts (`checks.ContentRules`).
"""

CHUNK_SIZE = 256 * 1024
"""Contents are stored, and travel, in chunks of this size: no process holds a whole content in memory."""
