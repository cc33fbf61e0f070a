"""Services around the yearly flow, not stages of it: the append-only audit log and the per-year run and publication
locks (audit), the temporary or resident Prefect server (prefect_server, serve) and the folder watcher that screens a
dropped file within seconds (watch). They call the stages; no stage imports them except for audit records."""
