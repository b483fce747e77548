"""A plain-text summary of a store: what `trustops demo --headless` prints at the end."""

from __future__ import annotations

from console.core.schema import FLAG_BITS
from console.core.store import Store


def print_summary(store: Store) -> None:
    counts = store.counts()
    print(
        f"store: {counts['events']:,} events, {counts['conversations']:,} conversations, {counts['findings']:,} findings"
    )
    rows = store.query(
        "SELECT deployment, model_version, count(*), "
        + ", ".join(f"sum(CASE WHEN (flags & {bit}) != 0 THEN 1 ELSE 0 END)" for bit in FLAG_BITS.values())
        + " FROM conversations GROUP BY deployment, model_version ORDER BY deployment, model_version"
    )
    names = list(FLAG_BITS)
    print(f"{'deployment':<20} {'version':<8} {'convs':>6}  " + "  ".join(f"{n[:10]:>10}" for n in names))
    for dep, ver, n, *flags in rows:
        cells = "  ".join(f"{(f or 0) / n:>10.1%}" if n else f"{'-':>10}" for f in flags)
        print(f"{dep or '-':<20} {ver or '-':<8} {n:>6}  {cells}")
