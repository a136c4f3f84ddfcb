"""The outbox events of identity resolution: one ordered stream, applied to the graph by the relay."""

from __future__ import annotations

SCHEMA = "profiles"
STREAM = "identity"
"""One stream: a record's decision depends on clusters any earlier record may have changed (a merge joins
arbitrary customers), so no partition by customer or identifier can be known before planning."""
AGGREGATE = "identity"
INGEST = "identity.ingest"
"""``{"records": [validated records]}``, size: the number of records."""
SPLIT = "identity.split"
"""``{"customer": id, "records": [keys], "identifiers": [keys]}``: ``unmergeCustomer``."""
MARKERS = f"{SCHEMA}.{STREAM}"
"""The stream's name on the graph's ``AppliedEvent`` markers."""
CONSENT = "consent.changed"
"""``{"decisions": [decision]}``: consents set by ``setConsent`` or ingested with source records. In the identity
stream so that the relay applies a record's consents after the record itself, filling in its customer."""
DECISION = "identity.decision"
"""``{"customers": [a, b], "merge": bool, "record": what asked, "identifiers": [keys]}``: a steward merged two
customers (by hand or on a review candidate) or kept a candidate pair apart."""
ERASE = "identity.erase"
"""``{"job": id, "customer": id}``: ``eraseCustomer``'s first step, in the identity stream so that the relay erases
what every earlier event made of the subject, and every later event meets its tombstones."""
ERASURE_STREAM = "erasure"
"""The later steps of erasure jobs (``jobs/erasure.py``), one stream: one worker runs them at a time."""
ERASURE_AGGREGATE = "erasure"
ERASURE_STEP = "erasure.step"
"""``{"job": id, "step": name}``: run one step of a job; the step emits the next one's event when done."""
ERASED_NOTICE = "identity.erased"
"""The change notice of an erasure: its customers are gone (subscribers of ``customerEvents`` hear it)."""
