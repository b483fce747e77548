"""The trustops console (Textual).

- ``app.py``: the shell: environment bar, keys, ``:`` commands, palette, the read-only rule
  (``TrustopsApp.permits``), background work and its errors (``load_then``, ``report_error``).
- ``navigation.py``: the first screen (``home_screen``), drill-downs (``Navigator``), breadcrumbs.
- ``data.py``: the one interface the views read through (``DataSource``; ``StoreSource``).
- ``untrusted.py``: the only way data reaches the screen (``untrusted``, ``untrusted_text``, ``plain``).
- ``masking.py``: redaction at display; ``filters.py``: the explorer's filter line;
  ``commands.py``: command mode and palette entries; ``event_view.py``: how a trail event reads.
- ``screens/``: explorer, trail, memory, and the modals (confirm, pick, raw event, help);
  ``widgets/``: the virtual conversation list, the top bar, the command line.
"""
