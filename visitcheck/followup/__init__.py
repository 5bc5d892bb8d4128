"""Follow-through after submission (issue 11 item 2): append-only records a practitioner
adds to a submitted visit without rewriting it, made offline and synced as
`checklist.followup` ops (docs/sync-protocol.md)."""
