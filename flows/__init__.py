"""Prefect flows of vision-report (one flow per file)."""
