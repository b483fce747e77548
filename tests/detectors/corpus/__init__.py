"""The labelled corpus the detector quality figures are measured on.

``generate.py`` builds it: checksum-valid planted values from a fixed seed, generated near misses,
and the hand-written files next to it (``pii.txt``, ``secrets.txt``, ``injection.yaml``), which hold
the hard cases, look-alikes and attack phrasings in several languages.
"""
