"""Services around the yearly flow, not stages of it: the temporary or resident Prefect server (prefect_server,
serve) and the folder watcher that screens a dropped file within seconds (watch). They call the stages and the
pipeline; no stage imports them."""
